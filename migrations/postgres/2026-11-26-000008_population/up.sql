-- Population denominators for incidence rates: persons by year, county, sex and the 19 SEER
-- age groups. An import replaces the rows of the (year, county) pairs its file covers.
CREATE TABLE population (
    id              BIGSERIAL PRIMARY KEY,
    year            INTEGER NOT NULL,
    county          TEXT NOT NULL,
    sex             SMALLINT NOT NULL,
    age_group       TEXT NOT NULL,
    population      DOUBLE PRECISION NOT NULL,
    imported_at     TIMESTAMP NOT NULL,
    CONSTRAINT population_cell UNIQUE (year, county, sex, age_group)
);
