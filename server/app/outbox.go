package app

import (
	"github.com/dinhdanh/dinhdanh/server/notify"
	"github.com/dinhdanh/dinhdanh/store"
)

// openOutbox returns the node's outbox of emails and SMS over the
// database, with the senders the mail and sms sections configure (a channel
// that is not configured keeps its messages as failed). It reads the SMTP
// password file now.
func openOutbox(s *Services) (*notify.Outbox, error) {
	cfg := s.Config
	senders := map[string]notify.Sender{}
	if cfg.Mail.Enabled() {
		m, err := notify.NewSMTP(cfg.Mail)
		if err != nil {
			return nil, err
		}
		senders[store.ChannelEmail] = m
	}
	if cfg.SMS.Enabled() {
		g, err := notify.NewSMSGateway(cfg.SMS, nil)
		if err != nil {
			return nil, err
		}
		senders[store.ChannelSMS] = g
	}
	o := cfg.Outbox
	return notify.NewOutbox(s.Store, s.Sealer, senders, notify.Options{MaxAttempts: o.MaxAttempts,
		MinBackoff: o.MinBackoff.D(), MaxBackoff: o.MaxBackoff.D(), Concurrency: o.Concurrency,
		SendTimeout: o.SendTimeout.D(), PollInterval: o.PollInterval.D()}, s.Log), nil
}

// notices returns the node's notices, sent through its outbox.
func (s *Services) notices() *notify.Notices {
	return notify.NewNotices(s.Outbox, s.Eph, s.Config.UI.ProductName, s.Config.Issuer, s.Config.Outbox.NoticeInterval.D())
}
