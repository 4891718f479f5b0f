// Package gen writes kinship declarations — structs, typed columns, Repos, relations and the
// model — from a live PostgreSQL catalog. Command kinship-gen fronts it; its documentation says
// what is written and why.
//
// The work is in steps, a file each: catalog.go reads the catalog (two queries: the tables with
// their columns, constraints and unique indexes as JSON, then the enums they use); gen.go plans
// the package (which tables get a struct, the link tables, the names, the key kinds, one Go type
// for a foreign key and its key, the relations and their cascades, the cycles to break); names.go
// makes Go names of SQL ones; types.go maps types; render.go and testfile.go write the files;
// files.go stamps each with a checksum and writes them without overwriting a person's edits.
//
// Every name is made in a fixed order from the catalog's, so the output is the same on every run
// over an unchanged schema.
package gen
