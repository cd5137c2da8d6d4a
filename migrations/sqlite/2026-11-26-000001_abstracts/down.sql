DROP TABLE abstract_versions;
DROP TABLE tumors;
DROP TABLE patients;
