// Package console is the administrators' web console under /admin: pages
// rendered on the server with the ui package's layout, style and catalogs,
// over the administrative service (server/admin). It implements no
// administrative operation of its own: every page and form calls one
// method of the service acting for the signed-in administrator
// (admin.Service.As), which checks the role, the scope, the level and the
// freshness of the authentication and audits the action.
//
// # Access
//
// Every request goes through the same steps (Handler.begin):
//
//  1. The SSO session of the login (its cookie). None: the browser goes to
//     /login?return=<this page> and comes back after the login.
//  2. The administrator: admin.Service.PrincipalFor with the session's
//     account, acr and auth_time, via "console". An account without a role
//     (or locked) gets the 403 page.
//  3. The level: a session below LoA2 goes to
//     /login/step-up?acr=LoA2&return=<this page>.
//
// A form is a POST with the CSRF token of server/web (Kit.ParsePost), checked
// before anything else. When the service refuses an action, the browser
// gets: for "reauthenticate" (a destructive action without a recent login)
// /login/reauth?return=<the page of the form>, whence it comes back to post
// again; for "level" the step-up; for "role" or "scope" the 403 page in the
// person's language. A refused or invalid action changes nothing; invalid
// input shows the form again with a message per field. A success redirects
// (303) to the page with a notice, except where a secret is shown once (a
// new application, a new client secret): that page is the answer to the
// POST itself and is never stored (Cache-Control: no-store).
//
// # Pages
//
//	GET  /admin                                 overview (Service.Dashboard)
//	GET  /admin/people?q=&kind=&offset=         search people
//	GET  /admin/people/{id}                     a person
//	POST /admin/people/{id}/unlock|lock|password|end-sessions|reset-factors|proofing
//	POST /admin/people/{id}/sessions/end        one session (field session)
//	POST /admin/people/{id}/roles/grant|revoke
//	POST /admin/people/{id}/businesses/unlink
//	GET  /admin/apps                            applications
//	GET  /admin/apps/new, POST /admin/apps      register one (secret shown once)
//	GET  /admin/apps/{id}                       one, with its integration snippet
//	GET  /admin/apps/{id}/edit, POST /admin/apps/{id}/edit
//	POST /admin/apps/{id}/rotate|delete
//	GET  /admin/directories, POST /admin/directories/{name}/test|sync
//	GET  /admin/businesses?tax_code=, POST /admin/businesses/link|unlink
//	GET  /admin/audit?subject=&actor=&client=&type=&address=&from=&to=&offset=
//
// The navigation shows the sections the administrator's roles open; a
// section opened anyway is refused by the service like any other action.
// The overview's figures are for whoever reads the whole audit log; other
// administrators see the sections they may open. An administrator of an
// agency searches the audit log of one person at a time (the service
// requires it), and is asked to name one before anything is searched.
//
// Field problems come from the service (admin.Problems, in English): the
// page names each field's problem from the catalogs ("console.invalid.<field>")
// and adds the service's detail, marked as English.
package console
