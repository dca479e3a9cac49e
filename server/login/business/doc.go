// Package business is the step where a citizen who represents businesses
// chooses whom they act for: /login/business?flow=ID lists the businesses
// (tax code, name, role) and "myself".
//
// The dispatcher sends a flow here when the business scope is granted to a
// citizen who represents at least one business (never with prompt=none,
// where the person acts for themselves). A choice must be one of the
// person's businesses, read again when it is posted, or "myself" (an empty
// tax code); it is recorded in the flow, which goes back to the dispatcher.
// The flow must belong to the browser's session.
package business
