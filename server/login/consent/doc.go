// Package consent is the consent step of a login: /consent?flow=ID shows
// what each requested scope releases (the claims of an official's capacity
// only to an official), the client's purpose and privacy notice in the
// person's language, and asks the person to allow or deny. The "remember"
// box starts ticked only when the personal ID is not asked for and the
// client is not first-party.
//
// The dispatcher sends a flow here when a third-party client asks for a
// scope not consented before, when a first-party client asks for the
// personal ID the first time, or with prompt=consent. Allowing records the
// answer in the flow (and, with "remember", adds the scopes to the stored
// consent of the person and the client) and hands the flow back to the
// dispatcher; denying ends the authorization request with access_denied at
// the client. Both are audited (consent.grant, consent.deny). The flow must
// belong to the browser's session.
package consent
