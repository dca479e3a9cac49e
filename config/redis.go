package config

import (
	"net"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Redis says where ephemeral state (login flows, SSO sessions, authorization codes, PKCE/OIDC/PAR requests,
// challenges, opaque access-token records, rate-limit and brute-force counters) is kept when it is not kept
// in the database. With no addresses (the default) it is kept in the database, as rows with an expiry: right
// for one node. Several nodes behind a load balancer share one Redis deployment, chosen by these settings:
//
//	redis:                       # one server
//	  addrs: [redis.tinh.gov.vn:6379]
//	redis:                       # a master watched by Sentinels
//	  addrs: [10.0.0.11:26379, 10.0.0.12:26379, 10.0.0.13:26379]
//	  master_name: dinhdanh
//	redis:                       # a Cluster (two or more seed nodes, or one with cluster: true)
//	  addrs: [10.0.0.21:6379, 10.0.0.22:6379, 10.0.0.23:6379]
//
// The same as environment variables: DINHDANH_REDIS_ADDRS=10.0.0.11:26379,10.0.0.12:26379 and
// DINHDANH_REDIS_MASTER_NAME=dinhdanh. Losing Redis logs people out; no account, client, credential or
// consent is kept there.
type Redis struct {
	// Addrs are the host:port addresses to reach: one server, the Sentinels (with master_name), or seed
	// nodes of a Cluster (two or more addresses, or one with cluster). A YAML list, or one comma-separated
	// string (the only form in an environment variable). Empty (the default) keeps ephemeral state in the
	// database.
	Addrs Addresses `yaml:"addrs"`

	// MasterName is the name of the master that the Sentinels at addrs watch; every node follows the
	// Sentinels to the current master. Empty (the default) means no Sentinel.
	MasterName string `yaml:"master_name"`

	// Cluster says that addrs name a Redis Cluster even when there is only one address (a cluster's
	// configuration endpoint). Two or more addresses without master_name are a Cluster anyway. Default false.
	Cluster bool `yaml:"cluster"`

	// Username is the ACL user to log in as; empty (the default) is the default user. It needs a password.
	Username string `yaml:"username"`

	// Password is the password of username, or of the default user (requirepass); empty (the default) sends
	// none. Prefer the environment variable DINHDANH_REDIS_PASSWORD to writing it in the file.
	Password string `yaml:"password"`

	// DB is the database number on one server or a Sentinel-watched master, from 0; a Cluster has only
	// database 0. Default 0.
	DB int `yaml:"db"`

	// KeyPrefix starts every key dinhdanh writes, so that several deployments (or other applications) can
	// share one Redis. Not empty; at most 64 bytes; no "{" or "}", which would put every key in one Cluster
	// slot. Default "dinhdanh:".
	KeyPrefix string `yaml:"key_prefix"`

	// DialTimeout bounds opening a connection; greater than zero. Default "2s".
	DialTimeout Duration `yaml:"dial_timeout"`

	// ReadTimeout bounds one command (its write too); greater than zero. A node whose Redis does not answer
	// within it answers 503 and reports not-ready. Default "1s".
	ReadTimeout Duration `yaml:"read_timeout"`

	// TLS connects with TLS, checking the servers' certificates against the system roots or tls_ca_file.
	// Default false.
	TLS bool `yaml:"tls"`

	// TLSCAFile is a PEM file of the certificate authorities that sign the servers' certificates; empty (the
	// default) trusts the system roots. Only with tls.
	TLSCAFile string `yaml:"tls_ca_file"`

	// AllowEviction acknowledges that Redis may evict dinhdanh's keys before they expire. Redis must run
	// with maxmemory-policy noeviction: under any volatile-* or allkeys-* policy a full Redis silently
	// drops brute-force locks and counters, PKCE records and the marks of used codes, which reopens what
	// they close. A node checks the policy at start and on /health/ready (CONFIG GET, or INFO memory where
	// CONFIG is renamed or disabled; on a Cluster every master, with Sentinels the master) and refuses to
	// start on an evicting policy, or on one it cannot read, unless this is true; then it starts, logs a
	// warning and reports the policy on /health/ready. Default false.
	AllowEviction bool `yaml:"allow_eviction"`
}

// defaultRedis returns the defaults of the redis section: no Redis.
func defaultRedis() Redis {
	return Redis{
		Addrs:       Addresses{},
		KeyPrefix:   "dinhdanh:",
		DialTimeout: Duration(2 * time.Second),
		ReadTimeout: Duration(time.Second),
	}
}

// Enabled reports whether Redis keeps the ephemeral state: at least one address is configured.
func (r *Redis) Enabled() bool { return len(r.Addrs) > 0 }

// Addresses is a list of host:port network addresses. In YAML it is a list of strings (or one
// comma-separated string); in an environment variable a comma-separated string. Blank entries are dropped;
// whether each entry is a valid address is checked by Validate.
type Addresses []string

// parseAddresses splits words into addresses, dropping blank ones.
func parseAddresses(words []string) Addresses {
	out := Addresses{}
	for _, w := range words {
		if w = strings.TrimSpace(w); w != "" {
			out = append(out, w)
		}
	}
	return out
}

// UnmarshalText parses a comma-separated list; environment variables are read through it.
func (a *Addresses) UnmarshalText(text []byte) error {
	*a = parseAddresses(strings.Split(string(text), ","))
	return nil
}

// UnmarshalYAML parses a YAML list of addresses, or one comma-separated string; null and an empty list mean
// none.
func (a *Addresses) UnmarshalYAML(value *yaml.Node) error {
	words, err := wordList(value, "a host:port address", "host:port addresses")
	if err != nil {
		return err
	}
	*a = parseAddresses(words)
	return nil
}

// MarshalYAML returns the addresses as a YAML list of strings.
func (a Addresses) MarshalYAML() (any, error) {
	return []string(append(Addresses{}, a...)), nil
}

// validateRedis checks the redis section.
func (c *Config) validateRedis(v *validator) {
	r := &c.Redis
	for _, addr := range r.Addrs {
		host, port, err := net.SplitHostPort(addr)
		if err != nil || host == "" {
			v.add("redis.addrs", "%q is not host:port, such as \"redis.tinh.gov.vn:6379\"", addr)
			continue
		}
		if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 || port != strconv.FormatUint(n, 10) {
			v.add("redis.addrs", "%q has port %q; the port must be a number from 1 to 65535", addr, port)
		}
	}
	cluster := r.Cluster || (len(r.Addrs) > 1 && r.MasterName == "")
	if !r.Enabled() {
		if r.MasterName != "" {
			v.add("redis.master_name", "is set but redis.addrs is empty: list the Sentinels' addresses")
		}
		if r.Cluster {
			v.add("redis.cluster", "is true but redis.addrs is empty: list the Cluster's nodes")
		}
		if r.AllowEviction {
			v.add("redis.allow_eviction", "is true but redis.addrs is empty: there is no Redis to evict anything")
		}
	}
	if r.Cluster && r.MasterName != "" {
		v.add("redis.cluster", "cannot be true with redis.master_name: use either Sentinels or a Cluster")
	}
	if r.Username != "" && r.Password == "" {
		v.add("redis.password", "must be set with redis.username (DINHDANH_REDIS_PASSWORD keeps it out of the file)")
	}
	if r.DB < 0 {
		v.add("redis.db", "is %d; it must not be negative", r.DB)
	} else if r.DB != 0 && cluster {
		v.add("redis.db", "is %d; a Redis Cluster has only database 0", r.DB)
	}
	switch p := r.KeyPrefix; {
	case p == "":
		v.add("redis.key_prefix", "must not be empty: it keeps dinhdanh's keys apart, such as \"dinhdanh:\"")
	case len(p) > 64:
		v.add("redis.key_prefix", "is %d bytes long; at most 64", len(p))
	case strings.ContainsAny(p, "{}"):
		v.add("redis.key_prefix", "%q contains { or }, which would put every key in one Redis Cluster slot", p)
	case strings.ContainsAny(p, " \t\r\n"):
		v.add("redis.key_prefix", "%q contains white space", p)
	}
	v.positive("redis.dial_timeout", r.DialTimeout)
	v.positive("redis.read_timeout", r.ReadTimeout)
	if r.TLSCAFile != "" && !r.TLS {
		v.add("redis.tls_ca_file", "is set but redis.tls is false: turn TLS on, or leave the file empty")
	}
}
