// Package identity holds the people dinhdanh knows and the identifiers that
// name them: the account model, the Vietnamese identifiers that enter through
// forms, directories and certificates, business representation, and the
// claims released to applications.
//
// # One person, one subject
//
// An [Account] is one natural person and carries one subject identifier
// (the OpenID Connect "sub"), made by [NewSubject]: random, stable, and never
// derived from the personal ID, so that applications cannot recover a
// citizen's ID number from a token. The same person may act in more than one
// capacity:
//
//   - as a citizen (công dân), when the account has a [PersonalID];
//   - as an official (cán bộ, công chức, viên chức), when it has an [Official]
//     record, local or synchronised from a staff directory.
//
// [Account.Capacities] lists them; the login flow picks one per session and
// passes it to [Account.Claims]. A citizen who acts for a business does so as
// themself, through a [Representation] linking the account to the business's
// [TaxCode] with a [RepresentativeRole].
//
// # Identifiers
//
// Every parser trims surrounding white space, normalises what it accepts to
// one canonical form, and accepts that canonical form again unchanged:
//
//   - [ParsePersonalID]: the 12-digit personal identification number (số định
//     danh cá nhân, printed on the CCCD). Its first three digits name the
//     province of birth registration (Circular 07/2016/TT-BCA) or, when the
//     first digit is not zero, a birth registered abroad; the fourth digit
//     encodes century and gender; the fifth and sixth the year of birth. The
//     number has no check digit, so a typing mistake in the last six digits
//     cannot be detected here; [PersonalID.CheckBirth] compares what can be
//     compared with the declared birth date and gender.
//   - [ParseTaxCode]: the tax code (mã số thuế), ten digits with a weighted
//     modulo-11 check digit for an enterprise, thirteen digits
//     "NNNNNNNNNN-NNN" for a dependent unit (branch) of the enterprise named
//     by the first ten, or a twelve-digit personal ID for an individual or a
//     household business.
//   - [NormalizeFullName], [NormalizeEmail], [NormalizePhone],
//     [ParseBirthdate], [ParseGender]: the profile fields of a registration
//     or self-service form. Names are stored in Unicode NFC so that a name typed
//     with a decomposed Vietnamese keyboard equals the same name typed with a
//     precomposed one; phone numbers are stored in E.164 ("+84…").
//
// A value that breaks a rule is reported as an [*InvalidError] whose Field and
// Reason are stable keys: a page shows the message "error.<Field>.<Reason>"
// from the user's catalog, an API returns them as they are, and the English
// Error text is for logs. Nothing in this package logs, reads storage or knows
// about HTTP.
//
// # Claims
//
// [Account.Claims] decides which profile values an application receives, from
// the granted scopes, the capacity of the session, the business chosen for it
// and whether the user consented to releasing the personal ID number. The
// personal ID is released only under the "personal_id" scope and explicit
// consent; logs and pages show it through [PersonalID.Masked].
//
// # The ground floor
//
// This package is the lowest of the module: it imports nothing of dinhdanh
// (only the standard library and golang.org/x/text), so that every other
// package may use it, the persistence contracts of package store among them
// (store imports nothing else of server/). Keep it so: a test in store
// (TestContractImports) fails when this package imports anything of the
// module.
package identity
