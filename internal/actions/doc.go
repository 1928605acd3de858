// Package actions runs Auth0 Actions code (exports.onExecute...(event,
// api)) at the triggers that have a hook point here, after the point's
// enabled hook: the trigger table, the event and api objects both runtimes
// give the code, and how their results change the token (compat-spec §7).
package actions
