package config

import "time"

// Server bounds what the node's HTTP listeners (the public listener, the mutual-TLS listener of certificate
// login, and the operator listener of /metrics) spend on connections, so that many slow or idle clients
// cannot exhaust a node's memory. The defaults are sized for a node of 512 MiB (README, "Sizing a
// deployment"): 2,048 connections that each stall in their request header cost a node about 25 MiB more than
// idle (test/connections), which leaves room for 32 concurrent password logins (340 MB at their peak).
//
//	server:
//	  max_connections: 2048
//	  read_header_timeout: 10s
//	  idle_timeout: 2m
type Server struct {
	// MaxConnections caps the connections the public and the mutual-TLS listeners hold open at once,
	// together. A connection above the cap is not accepted: it waits in the kernel's listen backlog (its
	// client sees a slow connect or first answer, never an error page) until a held connection closes.
	// Stalled connections cannot hold the cap forever: read_header_timeout, read_timeout and idle_timeout
	// close them. The operator listener of /metrics has a cap of its own of 16. At least 16. Default 2048.
	MaxConnections int `yaml:"max_connections"`

	// ReadHeaderTimeout is how long a client has to send a request's whole header, counted from the
	// moment the node starts reading it: a client that trickles its header byte by byte is closed when it
	// runs out. Greater than zero, at most read_timeout. Default "10s".
	ReadHeaderTimeout Duration `yaml:"read_header_timeout"`

	// ReadTimeout is how long a client has to send a whole request, header and body. Greater than zero.
	// Default "30s".
	ReadTimeout Duration `yaml:"read_timeout"`

	// WriteTimeout is how long the node may take to answer a request, counted from the end of its
	// header: a response not written by then is cut off. Greater than zero. Default "30s".
	WriteTimeout Duration `yaml:"write_timeout"`

	// IdleTimeout is how long a keep-alive connection may wait for its next request before the node
	// closes it. Greater than zero. Default "2m".
	IdleTimeout Duration `yaml:"idle_timeout"`

	// MaxHeaderBytes caps the size of a request's header (request line and header fields), in bytes; a
	// larger header is answered 431. From 4096 to 1048576. Default 32768.
	MaxHeaderBytes int `yaml:"max_header_bytes"`
}

// Limits on the Server settings.
const (
	minMaxConnections = 16
	minMaxHeaderBytes = 4 << 10
	maxMaxHeaderBytes = 1 << 20
)

func defaultServer() Server {
	return Server{
		MaxConnections:    2048,
		ReadHeaderTimeout: Duration(10 * time.Second),
		ReadTimeout:       Duration(30 * time.Second),
		WriteTimeout:      Duration(30 * time.Second),
		IdleTimeout:       Duration(2 * time.Minute),
		MaxHeaderBytes:    32 << 10,
	}
}

// validateServer checks the server section.
func (c *Config) validateServer(v *validator) {
	s := &c.Server
	v.atLeast("server.max_connections", int64(s.MaxConnections), minMaxConnections)
	if v.positive("server.read_header_timeout", s.ReadHeaderTimeout) && s.ReadTimeout > 0 &&
		s.ReadHeaderTimeout > s.ReadTimeout {
		v.add("server.read_header_timeout", "is %s, longer than server.read_timeout (%s); it must not be longer",
			s.ReadHeaderTimeout, s.ReadTimeout)
	}
	v.positive("server.read_timeout", s.ReadTimeout)
	v.positive("server.write_timeout", s.WriteTimeout)
	v.positive("server.idle_timeout", s.IdleTimeout)
	if n := s.MaxHeaderBytes; n < minMaxHeaderBytes || n > maxMaxHeaderBytes {
		v.add("server.max_header_bytes", "is %d; it must be from %d to %d", n, minMaxHeaderBytes, maxMaxHeaderBytes)
	}
}
