DROP TABLE custom_edits;
