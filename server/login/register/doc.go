// Package register is citizens' self-registration: /register?flow=ID, from
// the login page when registration is on (login.allow_registration).
//
// The form asks for the personal ID, name, birthdate, gender, email, phone
// and a password; ValidateRegistration checks every field at once and the
// page shows each error beside its field. A personal ID, email or phone
// already taken is refused on its field. Successful registrations are
// limited per address and hour (invalid tries do not count, so that many
// people behind one address can correct their mistakes). The new account
// is audited (account.register) and the browser goes back to the login
// page of the same flow, with the personal ID filled in.
package register
