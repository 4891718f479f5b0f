package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
)

// Employee is table employees (id bigserial), whose company_id is the edge from its company.
type Employee struct{ ent.Schema }

func (Employee) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{Table: "employees"}}
}

func (Employee) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.Int64("company_id"),
		field.String("name"),
		field.String("title"),
		field.Int32("salary"),
	}
}

func (Employee) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("company", Company.Type).Ref("employees").Field("company_id").Unique().Required(),
		edge.To("addresses", Address.Type),
	}
}
