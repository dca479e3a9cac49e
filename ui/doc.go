// Package ui renders the pages a person sees while signing in: login,
// registration, consent, choice of business, the account console, and error
// and message pages. Templates, style sheet, script and message catalogs are
// embedded in the binary; the package reads no files at run time and knows
// nothing about storage or sessions.
//
// # Pages
//
// A handler fills one of the page structs (LoginPage, RegisterPage, …), whose
// embedded Base carries the language, the current path for the language
// switcher, the CSRF token and an optional form-level error or notice, and
// calls [UI.Render] with a pointer to it:
//
//	u.Render(w, http.StatusOK, "login", &ui.LoginPage{Base: base, FlowID: id})
//
// Render executes into a buffer first, so a failing template never sends half
// a page; the caller then still owns the response and can show an error page.
//
// # Languages
//
// Vietnamese ("vi") is the default and English ("en") the alternative. Each
// template set is parsed once per language, with the template function t bound
// to that language. [Negotiate] picks the language of a request; [T] looks up
// a message outside templates. Messages live in messages/vi.json and
// messages/en.json; both hold the same keys.
//
// # Content Security Policy
//
// Pages carry no inline script, no inline style and no event-handler
// attributes, so they work under
//
//	default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:
//
// Everything works without script; assets/app.js only adds conveniences
// (showing a password, moving focus to the error summary, preventing a double
// submission). The style sheet, script and icon are served by [UI.Assets].
//
// # Template functions
//
// Besides the html/template built-ins, templates may call:
//
//	t KEY ARGS...        message KEY in the page language, formatted with ARGS
//	tf KEY ARGSLICE      the same, with the arguments as one []any (ErrorArgs)
//	tstrong KEY ARG      message KEY with ARG escaped and set in <strong>
//	label PREFIX NAME    message PREFIX+NAME, or NAME itself when there is none
//	langURL PATH LANG    PATH (path and query) with lang=LANG set
//	languages            the supported languages
//	product              the product name of [Options], or app.name
//	asset NAME           the versioned URL of an embedded asset
//	datetime TIME        a date and time for people, in Vietnam time
//	isoTime TIME         the same instant for a <time datetime> attribute
//	fieldView PAGE NAME  value and error of a field of a RegisterPage
//	fieldErrors PAGE     the field errors of a RegisterPage, in form order
package ui
