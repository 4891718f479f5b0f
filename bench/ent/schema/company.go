// Package schema holds the ent schemas of the benchmarks' tables, from which go generate ./ent
// (run in bench/) generates package ent. The tables are made by the benchmarks' own DDL
// (graphDDL, modelsDDL), not by ent's migrations.
package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
)

// Company is table companies (id bigserial).
type Company struct{ ent.Schema }

func (Company) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{Table: "companies"}}
}

func (Company) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.String("name"),
	}
}

func (Company) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("employees", Employee.Type),
	}
}
