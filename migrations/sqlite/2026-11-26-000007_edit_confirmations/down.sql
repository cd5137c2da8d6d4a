DROP TABLE edit_confirmations;
