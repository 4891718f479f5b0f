package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
)

// Model is table models of the five operations (id serial: ent's default int id).
type Model struct{ ent.Schema }

func (Model) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{Table: "models"}}
}

func (Model) Fields() []ent.Field {
	return []ent.Field{
		field.String("name"),
		field.String("title"),
		field.String("fax"),
		field.String("web"),
		field.Int("age"),
		field.Bool("right"),
		field.Int64("counter"),
	}
}
