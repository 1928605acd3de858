package jsvm

// Check parses and compiles script without executing any of it, for save-time
// validation. It returns nil or a *sandbox.CompileError. Whether
// module.exports is a function can only be known by running the module, so
// Check does not tell.
func Check(script string) error {
	_, err := compileModule(script)
	return err
}
