package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
)

// Address is table addresses (id bigserial), whose employee_id is the edge from its employee.
type Address struct{ ent.Schema }

func (Address) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{Table: "addresses"}}
}

func (Address) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.Int64("employee_id"),
		field.String("city"),
	}
}

func (Address) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("employee", Employee.Type).Ref("addresses").Field("employee_id").Unique().Required(),
	}
}
