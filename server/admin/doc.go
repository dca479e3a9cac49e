// Package admin holds the administrative operations on clients, accounts,
// businesses and keys. The CLI, the admin console and the admin JSON API
// (server/admin/api) call these, so that validation, the role check
// (Allow), audit and side effects (ending sessions and revoking tokens of a
// locked account) happen in one place. Reads for the console and the API
// (SearchAccounts, Person, ListClients, Business, SearchAudit, Dashboard, …)
// are narrowed to the principal's scope here too.
//
// Every operation validates all its input first and reports every problem at
// once (*Problems); nothing is written unless everything is valid.
package admin
