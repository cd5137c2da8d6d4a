DROP TABLE population;
