package config

import (
	"net"
	"strconv"
)

// Metrics says where the operational metrics are served: /metrics in the Prometheus text format (the
// back-channel logout queue by state, this node's delivery attempts). They are never served on the public
// listener to anybody who asks: by default (both settings empty) they are not served at all. Either give
// them a listener of their own, on a loopback or management address that the public cannot reach:
//
//	metrics:
//	  listen: 127.0.0.1:9090
//
// or serve them on the public listener to a scraper that presents a bearer token:
//
//	metrics:
//	  token_file: /etc/dinhdanh/metrics.token   # Prometheus: authorization: {credentials_file: …}
//
// With both, the operator listener serves them and asks for the token too.
type Metrics struct {
	// Listen is the TCP address (host:port) of the operator listener: plain HTTP serving /metrics and
	// nothing else (any other path is 404). Port 0 picks a free port. Empty (the default) opens none.
	Listen string `yaml:"listen"`

	// TokenFile is a file holding the bearer token that a scraper must send ("Authorization: Bearer
	// TOKEN"): one line of at least 32 characters, surrounding white space ignored; read at start. Without
	// listen, /metrics is served on the public listener to requests carrying it (404 to any other); with
	// listen, the operator listener asks for it. Empty (the default) asks for no token on the operator
	// listener and serves nothing on the public one.
	TokenFile string `yaml:"token_file"`
}

// Enabled reports whether /metrics is served somewhere: an operator listener or a token is configured.
func (m *Metrics) Enabled() bool { return m.Listen != "" || m.TokenFile != "" }

// validateMetrics checks the metrics section.
func (c *Config) validateMetrics(v *validator) {
	m := &c.Metrics
	if m.Listen == "" {
		return
	}
	const key = "metrics.listen"
	_, port, err := net.SplitHostPort(m.Listen)
	if err != nil {
		v.add(key, "%q is not host:port, such as \"127.0.0.1:9090\"", m.Listen)
		return
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || port != strconv.FormatUint(n, 10) {
		v.add(key, "%q has port %q; the port must be a number from 0 to 65535", m.Listen, port)
	} else if m.Listen == c.Listen && n != 0 {
		v.add(key, "%q is the public listen address; the operator listener needs an address of its own", m.Listen)
	}
}
