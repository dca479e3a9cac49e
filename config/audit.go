package config

import (
	"net"
	"slices"
	"time"
)

// Audit configures how long the audit log is kept and where else it is sent. The log itself is always
// written to the database, every event chained to the one before by its hash (see "dinhdanh audit verify").
//
//	audit:
//	  retention: 8760h            # 12 months; 0 keeps every event
//	  syslog:                     # a copy of every event for a SIEM
//	    network: tcp+tls
//	    address: siem.example.gov.vn:6514
type Audit struct {
	// Retention is how long an event is kept: a background job on every node removes the oldest events
	// written more than this long ago, and the hash of the last one removed becomes the chain's anchor so
	// that the chain stays verifiable from the oldest event kept. 0 keeps every event forever; otherwise
	// at least 24h. Default 8760h (12 months).
	Retention Duration `yaml:"retention"`

	// Syslog streams every event, as it is recorded, to a syslog collector. See AuditSyslog.
	// Default: none.
	Syslog AuditSyslog `yaml:"syslog"`
}

// AuditSyslog streams every audit event to a syslog collector (a SIEM) as an RFC 5424 message, with the
// event's fields in the structured element [audit@32473 …] and its details in [details@32473 …]. The
// request that records an event never waits for the collector: messages queue (1024 at most per node) and
// those that do not fit are dropped and counted in the metric dinhdanh_audit_syslog_dropped_total.
type AuditSyslog struct {
	// Network is "udp" (RFC 5426), "tcp" (octet-counted frames, RFC 6587) or "tcp+tls" (RFC 5425).
	// Empty (the default) sends nothing.
	Network string `yaml:"network"`

	// Address is the collector's host:port. Required with network; empty by default.
	Address string `yaml:"address"`

	// AppName is the APP-NAME of each message: printable ASCII, at most 48 characters. Default "dinhdanh".
	AppName string `yaml:"app_name"`

	// Facility is the syslog facility of each message: "audit" (13, log audit; the default), "auth",
	// "authpriv" or "local0" to "local7".
	Facility string `yaml:"facility"`

	// CAFile is a PEM file of the certificate authorities that sign the collector's certificate, for
	// tcp+tls. Empty (the default) uses the system's roots.
	CAFile string `yaml:"ca_file"`
}

// SyslogFacilities are the facility names audit.syslog.facility accepts.
var SyslogFacilities = []string{"audit", "auth", "authpriv", "local0", "local1", "local2", "local3", "local4",
	"local5", "local6", "local7"}

func defaultAudit() Audit {
	return Audit{Retention: Duration(8760 * time.Hour), Syslog: AuditSyslog{AppName: "dinhdanh", Facility: "audit"}}
}

// minAuditRetention is the shortest retention other than 0.
const minAuditRetention = 24 * time.Hour

// validateAudit checks the audit section.
func (c *Config) validateAudit(v *validator) {
	if r := c.Audit.Retention.D(); r < 0 || r > 0 && r < minAuditRetention {
		v.add("audit.retention", "is %s; it must be 0 (keep every event) or at least %s", c.Audit.Retention, Duration(minAuditRetention))
	}
	s := &c.Audit.Syslog
	v.oneOf("audit.syslog.facility", s.Facility, SyslogFacilities)
	if len(s.AppName) == 0 || len(s.AppName) > 48 || slices.ContainsFunc([]byte(s.AppName), func(b byte) bool { return b < 33 || b > 126 }) {
		v.add("audit.syslog.app_name", "%q must be 1 to 48 printable ASCII characters without spaces", s.AppName)
	}
	if s.Network == "" {
		if s.Address != "" {
			v.add("audit.syslog.address", "is set but audit.syslog.network is empty: say udp, tcp or tcp+tls")
		}
		return
	}
	v.oneOf("audit.syslog.network", s.Network, []string{"udp", "tcp", "tcp+tls"})
	if _, port, err := net.SplitHostPort(s.Address); err != nil || port == "" {
		v.add("audit.syslog.address", "%q is not host:port, such as \"siem.example.gov.vn:6514\"", s.Address)
	}
	if s.CAFile != "" && s.Network != "tcp+tls" {
		v.add("audit.syslog.ca_file", "is only used with network tcp+tls")
	}
}
