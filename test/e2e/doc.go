// Package e2e tests the dinhdanh binary end to end: a real server process,
// configured through its environment, administered through its command line,
// and used by browsers and by relying parties built on go-oidc and x/oauth2.
package e2e
