// Package notify sends email and SMS through a durable outbox.
//
// # Flow
//
// A caller (the registration step, later the verification of a contact or
// a password reset) asks Outbox.Enqueue to send a Message. The body may
// hold a one-time code, so it is sealed with the seal key (AES-256-GCM,
// bound to the channel and recipient) before it is stored in
// store.Outbox; the recipient, the subject and the kind stay readable for
// operators. The row is committed before Enqueue returns: from then on a
// restart, a crash or an unreachable server delays the message and loses
// nothing. A message for a channel that has no sender configured (no
// mail.host, no sms.url) is stored as failed with that reason, never
// dropped: "dinhdanh outbox list --status failed" shows it and
// "dinhdanh outbox retry ID" sends it once the channel is configured.
//
// Outbox.Run, started by App.Background on every node, polls the queue.
// Each pass claims due messages under a lease (store.Outbox.ClaimMessages:
// of several nodes exactly one gets a message, and the claim is renewed
// while the batch is sent), sends at most outbox.concurrency at once, each
// within outbox.send_timeout, and records the outcome under its claim: sent;
// retried after a backoff that doubles from outbox.min_backoff to
// outbox.max_backoff; or failed after outbox.max_attempts, or at once when
// the error is permanent (an SMTP 5xx answer to the recipient, a body that
// cannot be opened). A node that stalled past its lease records nothing:
// the node that claimed the message again does.
//
// # Senders
//
// SMTP sends through net/smtp with STARTTLS (required when configured),
// implicit TLS, or no TLS to a loopback relay; AUTH PLAIN when a username
// is configured; a text/plain UTF-8 message in quoted-printable. SMSGateway
// sends one HTTP request per message to a brandname-SMS provider: URL and
// body are text/templates over .To, .ToLocal and .Text; the answer counts
// as success only when its status is one of sms.success_status (any 2xx by
// default), its body holds sms.success_contains, and its JSON field
// sms.success_json_field equals sms.success_json_value. Anything else is a
// failed attempt, retried.
//
// # Notices
//
// Notices writes the notices dinhdanh sends of its own accord, in the
// recipient's language (vi or en, from the account), from the catalogs of
// package ui. RegisterTaken tells the holder of a contact that someone
// tried to register with it; it never repeats what the registrant typed.
// At most one notice of a kind goes to one recipient per
// outbox.notice_interval: a Hit in the ephemeral store, taken before the
// message is enqueued, so parallel registrations cannot flood a person.
//
// # Metrics
//
// WriteMetrics writes, in the Prometheus text format, the outbox's depth
// by status (dinhdanh_outbox_messages, from the database, shared by every
// node) and this node's counters: dinhdanh_outbox_queued_total,
// dinhdanh_outbox_sent_total, dinhdanh_outbox_retries_total and
// dinhdanh_outbox_failed_total, by channel.
package notify
