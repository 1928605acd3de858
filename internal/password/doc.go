// Package password owns what the server knows about user passwords:
// bcrypt hashing at a configurable cost, the import check for existing
// bcrypt hashes (Auth0's user import carries them), the password policy,
// and the brute-force lockout rule (compat-spec §2.3: 10 consecutive
// failures for one user from one IP). Attempts are counted before their
// compare, atomically in storage, so concurrency cannot run more than the
// threshold of compares; unknown login names are counted under a key of
// their own, so a 429 does not reveal which names exist.
//
// Comparing a login against an unknown user costs the same as against a
// known one: the Hasher keeps a dummy hash of its own cost to compare
// against, so response times do not reveal which emails exist.
package password
