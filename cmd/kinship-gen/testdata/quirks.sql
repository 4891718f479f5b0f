-- kinship-gen: -schema public,Sales -exclude audit_*
-- Reserved words, mixed-case identifiers, types without a builtin Go type, tables kinship
-- cannot key, a foreign key over two columns, a NOT NULL cycle, integer keys of two widths.
CREATE TYPE mood AS ENUM ('', 'N/A', 'in progress', 'PG-13', 'über');

CREATE TABLE "user" (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"select" text NOT NULL,
	"Type" text,
	"CreatedAt" timestamp NOT NULL DEFAULT now(),
	mood mood,
	moods mood[],
	flags bit(3)
);
CREATE TABLE "OrderLines" (
	"LineID" integer PRIMARY KEY,
	"UserID" uuid REFERENCES "user",
	"order" int4 NOT NULL DEFAULT 0,
	"group" int8
);
CREATE TABLE profiles (
	profile_id int4 GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	user_id uuid NOT NULL UNIQUE REFERENCES "user" ON DELETE CASCADE,
	bio text,
	ip inet,
	hours int4range,
	home point,
	lunch time,
	tz timetz,
	dur interval,
	balance money,
	scores float8[] NOT NULL DEFAULT '{}',
	seen timestamptz[],
	raw bytea
);
-- An int4 key, an int8 foreign key to it: both become int64.
CREATE TABLE groups (group_id int4 PRIMARY KEY, parent_id int8 REFERENCES groups, name varchar(40) NOT NULL);
CREATE INDEX ON groups (parent_id);
-- Two foreign keys that are the key, and a column a row needs: a table of its own, no ManyToMany.
CREATE TABLE memberships (
	user_id uuid REFERENCES "user" ON DELETE CASCADE,
	group_id int4 REFERENCES groups ON DELETE CASCADE,
	role text NOT NULL,
	PRIMARY KEY (user_id, group_id)
);
CREATE INDEX ON memberships (group_id);
-- Two foreign keys to one table, and a link table from a table to itself.
CREATE TABLE languages (language_id serial PRIMARY KEY, name char(20) NOT NULL);
CREATE TABLE films (
	film_id serial PRIMARY KEY,
	language_id int4 NOT NULL REFERENCES languages,
	original_language_id int4 REFERENCES languages,
	title text NOT NULL
);
CREATE INDEX ON films (language_id);
CREATE INDEX ON films (original_language_id);
CREATE TABLE film_sequels (film_id int4 REFERENCES films, sequel_id int4 REFERENCES films, PRIMARY KEY (film_id, sequel_id));
CREATE INDEX ON film_sequels (sequel_id);
-- Two tables whose NOT NULL foreign keys refer to each other (deferred): no row can be inserted
-- first by a flush, so one of the two relations is left out.
CREATE TABLE a_side (a_id int PRIMARY KEY, b_id int NOT NULL);
CREATE TABLE b_side (b_id int PRIMARY KEY, a_id int NOT NULL REFERENCES a_side DEFERRABLE INITIALLY DEFERRED);
ALTER TABLE a_side ADD FOREIGN KEY (b_id) REFERENCES b_side DEFERRABLE INITIALLY DEFERRED;
CREATE INDEX ON a_side (b_id);
CREATE INDEX ON b_side (a_id);
-- A foreign key over two columns: no relation.
CREATE TABLE versions (doc_id int, rev int, body text NOT NULL, PRIMARY KEY (doc_id, rev));
CREATE TABLE reviews (review_id serial PRIMARY KEY, doc_id int NOT NULL, rev int NOT NULL, FOREIGN KEY (doc_id, rev) REFERENCES versions);
-- No key at all: no struct. A unique NOT NULL column: the key.
CREATE TABLE log_lines (at timestamptz, line text);
CREATE TABLE settings (name text NOT NULL UNIQUE, value text);
-- Names that meet Go's: the package's Model, a build constraint's suffix.
CREATE TABLE models (model_id serial PRIMARY KEY, name text);
CREATE TABLE stats_windows (id serial PRIMARY KEY);
CREATE TABLE audit_events (id serial PRIMARY KEY);

CREATE SCHEMA "Sales";
CREATE TABLE "Sales"."Leads" (
	"LeadID" serial PRIMARY KEY,
	"OwnerID" uuid REFERENCES public."user" ON DELETE SET NULL,
	"Stage" mood NOT NULL DEFAULT 'N/A'
);
CREATE INDEX ON "Sales"."Leads" ("OwnerID");

INSERT INTO "user" (id, "select", "Type", mood, moods) VALUES
	('00000000-0000-0000-0000-000000000001', 'all', 'admin', 'über', '{"",PG-13}'),
	('00000000-0000-0000-0000-000000000002', 'none', NULL, NULL, NULL);
INSERT INTO "OrderLines" VALUES (1, '00000000-0000-0000-0000-000000000001', 3, NULL), (2, NULL, 0, 7);
INSERT INTO profiles (user_id, bio, ip, hours, home, lunch, tz, dur, balance, scores, seen, raw) VALUES
	('00000000-0000-0000-0000-000000000001', 'hi', '10.0.0.1', '[9,17)', '(1,2)', '12:30', '12:30+01', '1 day', 12.5, '{1.5}', '{2026-01-01T00:00:00Z}', '\x00ff');
INSERT INTO groups VALUES (1, NULL, 'root'), (2, 1, 'child'), (3, 1, 'other');
INSERT INTO memberships VALUES ('00000000-0000-0000-0000-000000000001', 2, 'owner');
INSERT INTO languages (name) VALUES ('English'), ('French');
INSERT INTO films (language_id, original_language_id, title) VALUES (1, 2, 'Amélie (dubbed)'), (2, NULL, 'Amélie 2'), (1, NULL, 'Alien');
INSERT INTO film_sequels VALUES (1, 2);
BEGIN;
INSERT INTO a_side VALUES (1, 1);
INSERT INTO b_side VALUES (1, 1);
COMMIT;
INSERT INTO versions VALUES (1, 1, 'draft');
INSERT INTO reviews (doc_id, rev) VALUES (1, 1);
INSERT INTO settings VALUES ('theme', 'dark');
INSERT INTO "Sales"."Leads" ("OwnerID") VALUES ('00000000-0000-0000-0000-000000000001'), (NULL);
