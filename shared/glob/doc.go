// Package glob matches branch names, tag names and file paths against the
// patterns a pipeline spec uses in its source and push-trigger filters. The
// syntax follows CodePipeline V2 trigger filters and gitignore: `*` and `?`
// stay within one path segment, `**` crosses segments, `[...]` is a
// character class, `{a,b}` an alternation and `\` escapes the next character.
// Patterns compile to linear-time matchers, so hostile input cannot make a
// match slow.
package glob
