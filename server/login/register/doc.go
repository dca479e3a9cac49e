// Package register is citizens' self-registration: /register?flow=ID, from
// the login page when registration is on (login.allow_registration).
//
// The form asks for the personal ID, name, birthdate, gender, email, phone
// and a password, and shows the operator's privacy notice (a link per
// language and a version, see Notice) with a box to accept it;
// ValidateRegistration checks every field at once and the page shows each
// error beside its field. Without the box ticked nothing is created; the
// account and its acceptance (version, time) are written together
// (store.PersonalData.RegisterAccount). Registrations are limited per
// address and hour (invalid tries do not count, so that many people behind
// one address can correct their mistakes). The new account is audited
// (account.register) and the browser goes back to the login page of the
// same flow, with the personal ID filled in. A registration that gives a
// personal ID, email or phone another account holds gets the very same
// answer and takes its place in the limit, so the page never tells whether
// a number or contact is someone's; nothing is created, and it is audited
// (account.register_taken). Every account holding one of the identifiers
// given is owed a notice ("someone tried to register with your address or
// number"): at the taken email or phone, and for a taken personal ID at the
// holder's email, else phone. The notice is enqueued in the durable outbox
// (server/notify), in the holder's language, at most once per recipient
// and outbox.notice_interval, and never repeats what the registrant typed.
package register
