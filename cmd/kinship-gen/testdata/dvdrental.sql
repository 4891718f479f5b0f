-- kinship-gen: -schema public
-- The shapes of the DVD-rental sample (Pagila) that a generator meets: last_update triggers on
-- every table, a store ↔ staff cycle whose foreign keys are both NOT NULL, link tables with a
-- last_update column of their own, smallint foreign keys to integer keys, an enum and a domain,
-- a tsvector a trigger maintains, a partitioned payment table, and views, which are left out.
CREATE TYPE mpaa_rating AS ENUM ('G', 'PG', 'PG-13', 'R', 'NC-17');
CREATE DOMAIN year AS integer CONSTRAINT year_check CHECK (VALUE >= 1901 AND VALUE <= 2155);
CREATE FUNCTION last_updated() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN NEW.last_update = now(); RETURN NEW; END$$;
CREATE FUNCTION film_fulltext() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN NEW.fulltext = to_tsvector('english', NEW.title); RETURN NEW; END$$;

CREATE TABLE language (language_id serial PRIMARY KEY, name character(20) NOT NULL, last_update timestamptz DEFAULT now() NOT NULL);
CREATE TABLE actor (actor_id serial PRIMARY KEY, first_name text NOT NULL, last_name text NOT NULL, last_update timestamptz DEFAULT now() NOT NULL);
CREATE TABLE category (category_id serial PRIMARY KEY, name text NOT NULL, last_update timestamptz DEFAULT now() NOT NULL);
CREATE TABLE film (
	film_id serial PRIMARY KEY,
	title text NOT NULL,
	description text,
	release_year year,
	language_id integer NOT NULL REFERENCES language ON UPDATE CASCADE ON DELETE RESTRICT,
	original_language_id integer REFERENCES language ON UPDATE CASCADE ON DELETE RESTRICT,
	rental_duration smallint DEFAULT 3 NOT NULL,
	rental_rate numeric(4,2) DEFAULT 4.99 NOT NULL,
	length smallint,
	replacement_cost numeric(5,2) DEFAULT 19.99 NOT NULL,
	rating mpaa_rating DEFAULT 'G',
	last_update timestamptz DEFAULT now() NOT NULL,
	special_features text[],
	fulltext tsvector NOT NULL
);
CREATE INDEX ON film (language_id);
CREATE INDEX ON film (original_language_id);
CREATE TRIGGER film_fulltext BEFORE INSERT OR UPDATE ON film FOR EACH ROW EXECUTE FUNCTION film_fulltext();
CREATE TABLE film_actor (
	actor_id integer NOT NULL REFERENCES actor ON UPDATE CASCADE ON DELETE RESTRICT,
	film_id integer NOT NULL REFERENCES film ON UPDATE CASCADE ON DELETE RESTRICT,
	last_update timestamptz DEFAULT now() NOT NULL,
	PRIMARY KEY (actor_id, film_id)
);
CREATE INDEX ON film_actor (film_id);
CREATE TABLE film_category (
	film_id integer NOT NULL REFERENCES film ON UPDATE CASCADE ON DELETE RESTRICT,
	category_id integer NOT NULL REFERENCES category ON UPDATE CASCADE ON DELETE RESTRICT,
	last_update timestamptz DEFAULT now() NOT NULL,
	PRIMARY KEY (film_id, category_id)
);
CREATE INDEX ON film_category (category_id);

CREATE TABLE country (country_id serial PRIMARY KEY, country text NOT NULL, last_update timestamptz DEFAULT now() NOT NULL);
CREATE TABLE city (city_id serial PRIMARY KEY, city text NOT NULL, country_id integer NOT NULL REFERENCES country, last_update timestamptz DEFAULT now() NOT NULL);
CREATE INDEX ON city (country_id);
CREATE TABLE address (
	address_id serial PRIMARY KEY,
	address text NOT NULL,
	address2 text,
	district text NOT NULL,
	city_id integer NOT NULL REFERENCES city,
	postal_code text,
	phone text NOT NULL,
	last_update timestamptz DEFAULT now() NOT NULL
);
CREATE INDEX ON address (city_id);

-- The cycle: a store's manager works at a store; both NOT NULL, one deferred.
CREATE TABLE store (
	store_id serial PRIMARY KEY,
	manager_staff_id integer NOT NULL,
	address_id integer NOT NULL REFERENCES address,
	last_update timestamptz DEFAULT now() NOT NULL
);
CREATE TABLE staff (
	staff_id serial PRIMARY KEY,
	first_name text NOT NULL,
	last_name text NOT NULL,
	address_id integer NOT NULL REFERENCES address,
	email text,
	store_id integer NOT NULL REFERENCES store,
	active boolean DEFAULT true NOT NULL,
	username text NOT NULL,
	password text,
	last_update timestamptz DEFAULT now() NOT NULL,
	picture bytea
);
ALTER TABLE store ADD FOREIGN KEY (manager_staff_id) REFERENCES staff DEFERRABLE INITIALLY DEFERRED;
CREATE UNIQUE INDEX ON store (manager_staff_id);
CREATE INDEX ON staff (store_id);
CREATE INDEX ON staff (address_id);
CREATE INDEX ON store (address_id);

CREATE TABLE customer (
	customer_id serial PRIMARY KEY,
	store_id integer NOT NULL REFERENCES store,
	first_name text NOT NULL,
	last_name text NOT NULL,
	email text,
	address_id integer NOT NULL REFERENCES address,
	activebool boolean DEFAULT true NOT NULL,
	create_date date DEFAULT CURRENT_DATE NOT NULL,
	last_update timestamptz DEFAULT now(),
	active integer
);
CREATE INDEX ON customer (store_id);
CREATE INDEX ON customer (address_id);
CREATE TABLE inventory (
	inventory_id serial PRIMARY KEY,
	film_id integer NOT NULL REFERENCES film,
	store_id integer NOT NULL REFERENCES store,
	last_update timestamptz DEFAULT now() NOT NULL
);
CREATE INDEX ON inventory (store_id, film_id);
CREATE INDEX ON inventory (film_id);
CREATE TABLE rental (
	rental_id serial PRIMARY KEY,
	rental_date timestamptz NOT NULL,
	inventory_id integer NOT NULL REFERENCES inventory,
	customer_id smallint NOT NULL REFERENCES customer,
	return_date timestamptz,
	staff_id smallint NOT NULL REFERENCES staff,
	last_update timestamptz DEFAULT now() NOT NULL
);
CREATE UNIQUE INDEX ON rental (rental_date, inventory_id, customer_id);
CREATE INDEX ON rental (inventory_id);
CREATE INDEX ON rental (customer_id);
CREATE INDEX ON rental (staff_id);
CREATE TABLE payment (
	payment_id serial NOT NULL,
	customer_id integer NOT NULL REFERENCES customer,
	staff_id integer NOT NULL REFERENCES staff,
	rental_id integer NOT NULL REFERENCES rental,
	amount numeric(5,2) NOT NULL,
	payment_date timestamptz NOT NULL,
	PRIMARY KEY (payment_date, payment_id)
) PARTITION BY RANGE (payment_date);
CREATE TABLE payment_p2022_01 PARTITION OF payment FOR VALUES FROM ('2022-01-01') TO ('2022-02-01');
CREATE TABLE payment_p2022_02 PARTITION OF payment FOR VALUES FROM ('2022-02-01') TO ('2022-03-01');
CREATE INDEX ON payment (customer_id);
CREATE INDEX ON payment (staff_id);
CREATE INDEX ON payment (rental_id);
CREATE VIEW film_list AS SELECT film_id, title FROM film;
CREATE MATERIALIZED VIEW rental_by_category AS SELECT count(*) FROM rental;

DO $$DECLARE t text; BEGIN
	FOREACH t IN ARRAY ARRAY['language', 'actor', 'category', 'film', 'film_actor', 'film_category', 'country', 'city', 'address', 'store', 'staff', 'customer', 'inventory', 'rental'] LOOP
		EXECUTE format('CREATE TRIGGER last_updated BEFORE UPDATE ON %I FOR EACH ROW EXECUTE FUNCTION last_updated()', t);
	END LOOP;
END$$;

INSERT INTO language (name) VALUES ('English'), ('Italian');
INSERT INTO actor (first_name, last_name) VALUES ('Penelope', 'Guiness'), ('Nick', 'Wahlberg');
INSERT INTO category (name) VALUES ('Action'), ('Comedy');
INSERT INTO film (title, release_year, language_id, original_language_id, rating, special_features) VALUES
	('Academy Dinosaur', 2006, 1, NULL, 'PG', '{"Deleted Scenes"}'), ('Ace Goldfinger', 2006, 1, 2, 'G', NULL), ('Adaptation Holes', 2006, 2, NULL, 'NC-17', '{}');
INSERT INTO film_actor (actor_id, film_id) VALUES (1, 1), (1, 2), (2, 2);
INSERT INTO film_category (film_id, category_id) VALUES (1, 1), (2, 2), (3, 2);
INSERT INTO country (country) VALUES ('Canada');
INSERT INTO city (city, country_id) VALUES ('Lethbridge', 1);
INSERT INTO address (address, district, city_id, phone) VALUES ('47 MySakila Drive', 'Alberta', 1, ''), ('28 MySQL Boulevard', 'QLD', 1, '');
BEGIN;
INSERT INTO store (manager_staff_id, address_id) VALUES (1, 1), (2, 2);
INSERT INTO staff (first_name, last_name, address_id, store_id, username) VALUES ('Mike', 'Hillyer', 1, 1, 'Mike'), ('Jon', 'Stephens', 2, 2, 'Jon');
COMMIT;
INSERT INTO customer (store_id, first_name, last_name, address_id) VALUES (1, 'Mary', 'Smith', 1), (2, 'Patricia', 'Johnson', 2), (1, 'Linda', 'Williams', 1);
INSERT INTO inventory (film_id, store_id) VALUES (1, 1), (1, 2), (2, 1);
INSERT INTO rental (rental_date, inventory_id, customer_id, staff_id) VALUES ('2022-01-10', 1, 1, 1), ('2022-01-11', 2, 2, 2), ('2022-02-03', 1, 3, 1);
INSERT INTO payment (customer_id, staff_id, rental_id, amount, payment_date) VALUES (1, 1, 1, 2.99, '2022-01-10'), (2, 2, 2, 0.99, '2022-01-11'), (3, 1, 3, 4.99, '2022-02-03');
