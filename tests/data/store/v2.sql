-- v2.sql - a database as dosed with schema 2 (issue 3) wrote it, to test
-- the forward migration of store_open().  Made with that release's dosectl:
-- enrol MRN-1 (b12-standard, an awkward name) and MRN-2 (b12-neuro), log
-- doses, void dose 3 and log it again, issue MRN-1's feed, the clinic's
-- feed, rotate MRN-1's, export MRN-1 (feed event states), advance and stop
-- MRN-2 and enrol MRN-2 again (b12-bariatric, regimen 3); then dumped
-- with sqlite3's .dump.  The header pragmas, which .dump leaves out, are
-- added at the end.  Never edit it: it is what is out there.
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE patient (
	id TEXT PRIMARY KEY NOT NULL CHECK (id <> ''),
	name TEXT NOT NULL,
	tz TEXT NOT NULL CHECK (tz <> ''),
	created_at INTEGER NOT NULL,
	created_by TEXT NOT NULL
);
INSERT INTO patient VALUES('MRN-1','O''Brien, Jo; "Jr" \ Ünal','Europe/London',1795168800,'root');
INSERT INTO patient VALUES('MRN-2','Bob','America/New_York',1795169100,'root');
CREATE TABLE regimen (
	id INTEGER PRIMARY KEY,
	patient_id TEXT NOT NULL REFERENCES patient(id),
	protocol_id TEXT NOT NULL,
	protocol_text TEXT NOT NULL,
	start_date TEXT NOT NULL CHECK (start_date GLOB
		'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
	enrolled_at INTEGER NOT NULL,
	enrolled_by TEXT NOT NULL,
	stopped_at INTEGER,
	stopped_by TEXT,
	CHECK ((stopped_at IS NULL) = (stopped_by IS NULL))
);
INSERT INTO regimen VALUES(1,'MRN-1','b12-standard',replace('[b12-standard]\ntitle = Hydroxocobalamin, no neurological involvement\ndrug = hydroxocobalamin\ndose = 1 mg\nroute = IM\nsource = NICE CKS (Anaemia - B12 and folate deficiency) via seeds/004_1588d50b1994512c.txt: 1 mg IM three times a week for 2 weeks, then every 2-3 months for life\nphase = loading: 3 per week (mon,wed,fri) for 6 doses\nphase = maintenance: every 2-3 months for life\n','\n',char(10)),'2026-11-23',1795168800,'root',NULL,NULL);
INSERT INTO regimen VALUES(2,'MRN-2','b12-neuro',replace('[b12-neuro]\ntitle = Hydroxocobalamin, neurological involvement\ndrug = hydroxocobalamin\ndose = 1 mg\nroute = IM\nsource = NICE CKS (Anaemia - B12 and folate deficiency) via seeds/004_1588d50b1994512c.txt: 1 mg IM on alternate days until no further improvement, then every 2 months\nphase = loading: alternate days until advanced\nphase = maintenance: every 2 months for life\n','\n',char(10)),'2026-11-23',1795169100,'root',1797174000,'root');
INSERT INTO regimen VALUES(3,'MRN-2','b12-bariatric',replace('[b12-bariatric]\ntitle = Vitamin B12 after bariatric surgery\ndrug = vitamin B12\ndose = 1 mg\nroute = IM\nsource = Vitamin B12 Injection Guidelines (Praxis Medical Insights) via seeds/001_9bcd10986c0ff3a7.txt: after bariatric surgery, 1 mg IM every 3 months\nphase = maintenance: every 3 months for life\n','\n',char(10)),'2026-12-14',1797260400,'root',NULL,NULL);
CREATE TABLE dose (
	id INTEGER PRIMARY KEY,
	regimen_id INTEGER NOT NULL REFERENCES regimen(id),
	ordinal INTEGER NOT NULL CHECK (ordinal >= 1),
	phase_index INTEGER NOT NULL CHECK (phase_index >= 0),
	given_at INTEGER NOT NULL,
	site TEXT,
	note TEXT,
	forced INTEGER NOT NULL DEFAULT 0 CHECK (forced IN (0, 1)),
	logged_at INTEGER NOT NULL,
	logged_by TEXT NOT NULL,
	voided_at INTEGER,
	voided_by TEXT,
	void_reason TEXT,
	CHECK ((voided_at IS NULL) = (voided_by IS NULL)
	       AND (voided_at IS NULL) = (void_reason IS NULL))
);
INSERT INTO dose VALUES(1,1,1,0,1795428000,'left deltoid',NULL,0,1795428000,'root',NULL,NULL,NULL);
INSERT INTO dose VALUES(2,2,1,0,1795431600,'left thigh',replace('first dose\ntwo lines','\n',char(10)),0,1795431600,'root',NULL,NULL,NULL);
INSERT INTO dose VALUES(3,1,2,0,1795600800,'right deltoid',NULL,0,1795600800,'root',1795602600,'root','logged twice');
INSERT INTO dose VALUES(4,1,2,0,1795602300,'right deltoid',NULL,0,1795603500,'root',NULL,NULL,NULL);
CREATE TABLE IF NOT EXISTS "audit" (
	id INTEGER PRIMARY KEY,
	at INTEGER NOT NULL,
	actor TEXT NOT NULL,
	action TEXT NOT NULL
		CHECK (action IN ('enrol', 'log', 'void', 'advance', 'stop', 'feed')),
	patient_id TEXT REFERENCES patient(id),
	regimen_id INTEGER REFERENCES regimen(id),
	dose_id INTEGER REFERENCES dose(id),
	detail TEXT NOT NULL DEFAULT '{}',
	CHECK (action = 'feed' OR (patient_id IS NOT NULL AND regimen_id IS NOT NULL))
);
INSERT INTO audit VALUES(1,1795168800,'root','enrol','MRN-1',1,NULL,'{"protocol":"b12-standard","start":"2026-11-23","name":"O''Brien, Jo; \"Jr\" \\ Ünal","tz":"Europe/London"}');
INSERT INTO audit VALUES(2,1795169100,'root','enrol','MRN-2',2,NULL,'{"protocol":"b12-neuro","start":"2026-11-23","name":"Bob","tz":"America/New_York"}');
INSERT INTO audit VALUES(3,1795428000,'root','log','MRN-1',1,1,'{"ordinal":1,"phase":0,"given_at":1795428000,"site":"left deltoid","forced":false}');
INSERT INTO audit VALUES(4,1795431600,'root','log','MRN-2',2,2,'{"ordinal":1,"phase":0,"given_at":1795431600,"site":"left thigh","forced":false}');
INSERT INTO audit VALUES(5,1795600800,'root','log','MRN-1',1,3,'{"ordinal":2,"phase":0,"given_at":1795600800,"site":"right deltoid","forced":false}');
INSERT INTO audit VALUES(6,1795602600,'root','void','MRN-1',1,3,'{"ordinal":2,"reason":"logged twice"}');
INSERT INTO audit VALUES(7,1795603500,'root','log','MRN-1',1,4,'{"ordinal":2,"phase":0,"given_at":1795602300,"site":"right deltoid","forced":false}');
INSERT INTO audit VALUES(8,1795683600,'root','feed','MRN-1',NULL,NULL,'{"event":"issue","feed":"patient","patient":"MRN-1","feed_token_id":1,"revoked_feed_token_id":null}');
INSERT INTO audit VALUES(9,1795683660,'root','feed',NULL,NULL,NULL,'{"event":"issue","feed":"clinic","patient":null,"feed_token_id":2,"revoked_feed_token_id":null}');
INSERT INTO audit VALUES(10,1795683720,'root','feed','MRN-1',NULL,NULL,'{"event":"rotate","feed":"patient","patient":"MRN-1","feed_token_id":3,"revoked_feed_token_id":1}');
INSERT INTO audit VALUES(11,1797087600,'root','advance','MRN-2',2,NULL,'{"phase":0,"name":"loading"}');
INSERT INTO audit VALUES(12,1797174000,'root','stop','MRN-2',2,NULL,'{"protocol":"b12-neuro"}');
INSERT INTO audit VALUES(13,1797260400,'root','enrol','MRN-2',3,NULL,'{"protocol":"b12-bariatric","start":"2026-12-14","name":"Bob","tz":"America/New_York"}');
CREATE TABLE IF NOT EXISTS "advance" (
	id INTEGER PRIMARY KEY,
	regimen_id INTEGER NOT NULL REFERENCES regimen(id),
	phase_index INTEGER NOT NULL CHECK (phase_index >= 0),
	advanced_at INTEGER NOT NULL,
	advanced_by TEXT NOT NULL
);
INSERT INTO advance VALUES(1,2,0,1797087600,'root');
CREATE TABLE feed_token (
	id INTEGER PRIMARY KEY,
	patient_id TEXT REFERENCES patient(id),
	hash TEXT UNIQUE NOT NULL
		CHECK (length(hash) = 64 AND hash NOT GLOB '*[^0-9a-f]*'),
	issued_at INTEGER NOT NULL,
	issued_by TEXT NOT NULL,
	revoked_at INTEGER,
	revoked_by TEXT,
	CHECK ((revoked_at IS NULL) = (revoked_by IS NULL))
);
INSERT INTO feed_token VALUES(1,'MRN-1','e141c7671d11022af00400e5db25bdb8b93c7db1175d4b019e6a71dd7ddcf49e',1795683600,'root',1795683720,'root');
INSERT INTO feed_token VALUES(2,NULL,'87d95ed71d57e5c54102fffe88bcdf77de6b1916fb9e30a2295b97c7c00405af',1795683660,'root',NULL,NULL);
INSERT INTO feed_token VALUES(3,'MRN-1','ed3931034226c07540c7a4956acb9b84ecabb544e1a57ac69e95589b21136b45',1795683720,'root',NULL,NULL);
CREATE TABLE feed_event (
	key TEXT PRIMARY KEY NOT NULL,
	fingerprint TEXT NOT NULL,
	sequence INTEGER NOT NULL CHECK (sequence >= 0),
	changed_at INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO feed_event VALUES('p:MRN-1','3d503869c8be013742fb1add6cbd0bcced5b5746d26c1c5580972347eaae5255',0,1795683780);
INSERT INTO feed_event VALUES('p:MRN-1-dose-1-10@dosed','897ad8794230a1b49bab15ef32395cab33b0242624ff69250e41022181594de2',0,1795683780);
INSERT INTO feed_event VALUES('p:MRN-1-dose-1-11@dosed','802e73b935ecbf9e9eefc4b706452518cc36b74a792ded95defdc6bf0be09690',0,1795683780);
INSERT INTO feed_event VALUES('p:MRN-1-dose-1-1@dosed','6a462103fb71753df40fff17906c6543520f34f18d14254819f55108f4b94ba8',0,1795683780);
INSERT INTO feed_event VALUES('p:MRN-1-dose-1-2@dosed','ab3c9a5baf0d209c116f266354d89b8e66c0666f1b28a8bf060da3b43140880f',0,1795683780);
INSERT INTO feed_event VALUES('p:MRN-1-dose-1-3@dosed','27754095e974139e2b4ec191532bc576685a7a7b1694c609161dc881604b0b02',0,1795683780);
INSERT INTO feed_event VALUES('p:MRN-1-dose-1-4@dosed','80c42b8fce992020d747ac22879f5b04efa7c66734697c3155d4fb4417fff1e1',0,1795683780);
INSERT INTO feed_event VALUES('p:MRN-1-dose-1-5@dosed','4c00fdc7b169252fcecb1a8cb4ca0ed52acc4e7f7f5c0c1297485e3c3257919e',0,1795683780);
INSERT INTO feed_event VALUES('p:MRN-1-dose-1-6@dosed','41667a15445c587d6940c948aa75f763dcbfe5e926cb8994234b54fdd8ea10dd',0,1795683780);
INSERT INTO feed_event VALUES('p:MRN-1-dose-1-7@dosed','2ad8d4e5de0ea500ff1214eed8e0d84410e13e98a4d505885c39ee62550287df',0,1795683780);
INSERT INTO feed_event VALUES('p:MRN-1-dose-1-8@dosed','e5fc4855cc05cb9bfe7d99326ee72e1bfb368771a2860b0ee90d30f2566bdc29',0,1795683780);
INSERT INTO feed_event VALUES('p:MRN-1-dose-1-9@dosed','b3b52f60aafe8331e4396098f64c740255ac2603ecffaa40d77305e82ad7a7e6',0,1795683780);
CREATE INDEX regimen_by_patient ON regimen(patient_id, id);
CREATE UNIQUE INDEX regimen_one_active ON regimen(patient_id)
	WHERE stopped_at IS NULL;
CREATE UNIQUE INDEX dose_one_per_ordinal ON dose(regimen_id, ordinal)
	WHERE voided_at IS NULL;
CREATE INDEX dose_by_regimen ON dose(regimen_id, given_at, id);
CREATE TRIGGER patient_never_deleted BEFORE DELETE ON patient
	BEGIN SELECT RAISE(ABORT, 'dosed never deletes a patient'); END;
CREATE TRIGGER patient_never_changed BEFORE UPDATE ON patient
	BEGIN SELECT RAISE(ABORT, 'dosed never changes a patient'); END;
CREATE TRIGGER regimen_never_deleted BEFORE DELETE ON regimen
	BEGIN SELECT RAISE(ABORT, 'dosed never deletes a regimen'); END;
CREATE TRIGGER regimen_never_changed BEFORE UPDATE OF id, patient_id,
	protocol_id, protocol_text, start_date, enrolled_at, enrolled_by ON regimen
	BEGIN SELECT RAISE(ABORT, 'dosed never changes a regimen'); END;
CREATE TRIGGER regimen_stopped_once BEFORE UPDATE OF stopped_at, stopped_by
	ON regimen WHEN OLD.stopped_at IS NOT NULL
	BEGIN SELECT RAISE(ABORT, 'the regimen is already stopped'); END;
CREATE TRIGGER dose_never_deleted BEFORE DELETE ON dose
	BEGIN SELECT RAISE(ABORT, 'dosed never deletes a dose'); END;
CREATE TRIGGER dose_never_changed BEFORE UPDATE OF id, regimen_id, ordinal,
	phase_index, given_at, site, note, forced, logged_at, logged_by ON dose
	BEGIN SELECT RAISE(ABORT, 'dosed never changes a dose; void it'); END;
CREATE TRIGGER dose_voided_once BEFORE UPDATE OF voided_at, voided_by,
	void_reason ON dose WHEN OLD.voided_at IS NOT NULL
	BEGIN SELECT RAISE(ABORT, 'the dose is already void'); END;
CREATE INDEX audit_by_patient ON audit(patient_id, at);
CREATE TRIGGER audit_never_deleted BEFORE DELETE ON audit
	BEGIN SELECT RAISE(ABORT, 'dosed never deletes the audit trail'); END;
CREATE TRIGGER audit_never_changed BEFORE UPDATE ON audit
	BEGIN SELECT RAISE(ABORT, 'dosed never changes the audit trail'); END;
CREATE INDEX advance_by_regimen ON advance(regimen_id, advanced_at, id);
CREATE TRIGGER advance_never_deleted BEFORE DELETE ON advance
	BEGIN SELECT RAISE(ABORT, 'dosed never deletes an advance'); END;
CREATE TRIGGER advance_never_changed BEFORE UPDATE ON advance
	BEGIN SELECT RAISE(ABORT, 'dosed never changes an advance'); END;
CREATE UNIQUE INDEX feed_token_one_per_patient ON feed_token(patient_id)
	WHERE revoked_at IS NULL AND patient_id IS NOT NULL;
CREATE UNIQUE INDEX feed_token_one_for_clinic ON feed_token((patient_id IS NULL))
	WHERE revoked_at IS NULL AND patient_id IS NULL;
CREATE TRIGGER feed_token_never_deleted BEFORE DELETE ON feed_token
	BEGIN SELECT RAISE(ABORT, 'dosed never deletes a feed token; revoke it'); END;
CREATE TRIGGER feed_token_never_changed BEFORE UPDATE OF id, patient_id, hash,
	issued_at, issued_by ON feed_token
	BEGIN SELECT RAISE(ABORT, 'dosed never changes a feed token; revoke it'); END;
CREATE TRIGGER feed_token_revoked_once BEFORE UPDATE OF revoked_at, revoked_by
	ON feed_token WHEN OLD.revoked_at IS NOT NULL
	BEGIN SELECT RAISE(ABORT, 'the feed token is already revoked'); END;
COMMIT;
PRAGMA application_id = 1146049349;
PRAGMA user_version = 2;
PRAGMA journal_mode = WAL;
