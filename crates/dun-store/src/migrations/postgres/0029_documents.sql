-- How the organisation's documents look. paper_size: 'a4' or 'us_letter'
-- once chosen; NULL (never chosen): US Letter when the organisation's
-- country is US or CA, A4 otherwise, decided from the country it has when
-- a document is drawn. document_locale: the language of the documents'
-- fixed words, dates and amounts ('en', 'de', 'fr'). The logo: its media
-- type ('image/png' or 'image/jpeg') and its bytes as hex (both engines
-- store the same TEXT), both NULL when there is none.
ALTER TABLE organisations ADD COLUMN paper_size TEXT;
ALTER TABLE organisations ADD COLUMN document_locale TEXT NOT NULL DEFAULT 'en';
ALTER TABLE organisations ADD COLUMN logo_media_type TEXT;
ALTER TABLE organisations ADD COLUMN logo_hex TEXT;
