// NPM_NAME is npm's package name rule (legacy upper case allowed), checked
// before a hook's or an Action's dependency is sent to be installed.
export const NPM_NAME = /^(@[a-z0-9~-][a-z0-9._~-]*\/)?[a-zA-Z0-9~-][a-zA-Z0-9._~-]*$/;
