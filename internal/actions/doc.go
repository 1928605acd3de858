// Package actions runs Auth0 Actions code (exports.onExecute...(event,
// api)) at the triggers that have a hook point here, after the point's
// enabled hook: the trigger table, the event and api objects both runtimes
// give the code, and how their results change the token (compat-spec §7).
//
// An Action runs on the hook runtimes through hooks.Runner.Exec (engine
// choice, npm tree, secrets in process.env, limits, isolation, live logs
// stay there). glue.js, appended to the Action's code, turns its exports
// into the function the runtimes call and builds `api`; the code's calls
// are recorded and answered as one JSON record, which runner.go applies:
// claims (restricted names dropped), scopes (target scopes intersected
// with the client grant), a deny, metadata writes, cache writes. event.go
// builds each trigger's `event`; cache.go keeps api.cache in memory per
// tenant and trigger, handing each execution a snapshot and applying its
// writes after, so the runtimes stay stateless. test_run.go is the
// Management API's test run of a draft. convert.go (with its lexer,
// convert_lex.go) rewrites a Hook's source as the equivalent Action for
// `tokenhook hooks convert`, refusing what it cannot translate faithfully.
package actions
