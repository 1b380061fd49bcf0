-- v3.sql - a database as dosed with schema 3 (issue 4) wrote it, to test
-- the forward migration of store_open() to schema 4 (one stored copy per
-- distinct protocol text).  Made with that release's dosectl: enrol MRN-1
-- (b12-standard, an awkward name), MRN-2 (b12-neuro), MRN-3 (b12-standard
-- on other weekdays: a second text of the same protocol) and MRN-4
-- (b12-standard, the same text as MRN-1's); log doses, void dose 2 and log
-- it again, issue MRN-1's feed and the clinic's, rotate MRN-1's, export
-- MRN-1 (feed event states), advance and stop MRN-2 and enrol MRN-2 again
-- (b12-bariatric, regimen 5), stop MRN-4; one delivered reminder and one
-- snooze added with the INSERTs store_record_reminder() and
-- store_record_snooze() make; then dumped with sqlite3's .dump.  The
-- header pragmas, which .dump leaves out, are added at the end.  Never
-- edit it: it is what is out there.
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE patient (
	id TEXT PRIMARY KEY NOT NULL CHECK (id <> ''),
	name TEXT NOT NULL,
	tz TEXT NOT NULL CHECK (tz <> ''),
	created_at INTEGER NOT NULL,
	created_by TEXT NOT NULL
);
INSERT INTO patient VALUES('MRN-1','O''Brien, Jo; "Jr" \ Ünal','Europe/London',1795424400,'root');
INSERT INTO patient VALUES('MRN-2','Bob','America/New_York',1795424700,'root');
INSERT INTO patient VALUES('MRN-3','Cy','Asia/Tokyo',1795425000,'root');
INSERT INTO patient VALUES('MRN-4','Di','Europe/London',1795425300,'root');
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
INSERT INTO regimen VALUES(1,'MRN-1','b12-standard',replace('[b12-standard]\ntitle = Hydroxocobalamin, no neurological involvement\ndrug = hydroxocobalamin\ndose = 1 mg\nroute = IM\nsource = NICE CKS (Anaemia - B12 and folate deficiency) via seeds/004_1588d50b1994512c.txt: 1 mg IM three times a week for 2 weeks, then every 2-3 months for life\nphase = loading: 3 per week (mon,wed,fri) for 6 doses\nphase = maintenance: every 2-3 months for life\n','\n',char(10)),'2026-11-23',1795424400,'root',NULL,NULL);
INSERT INTO regimen VALUES(2,'MRN-2','b12-neuro',replace('[b12-neuro]\ntitle = Hydroxocobalamin, neurological involvement\ndrug = hydroxocobalamin\ndose = 1 mg\nroute = IM\nsource = NICE CKS (Anaemia - B12 and folate deficiency) via seeds/004_1588d50b1994512c.txt: 1 mg IM on alternate days until no further improvement, then every 2 months\nphase = loading: alternate days until advanced\nphase = maintenance: every 2 months for life\n','\n',char(10)),'2026-11-23',1795424700,'root',1796202000,'root');
INSERT INTO regimen VALUES(3,'MRN-3','b12-standard',replace('[b12-standard]\ntitle = Hydroxocobalamin, no neurological involvement\ndrug = hydroxocobalamin\ndose = 1 mg\nroute = IM\nsource = NICE CKS (Anaemia - B12 and folate deficiency) via seeds/004_1588d50b1994512c.txt: 1 mg IM three times a week for 2 weeks, then every 2-3 months for life\nphase = loading: 3 per week (tue,thu,sat) for 6 doses\nphase = maintenance: every 2-3 months for life\n','\n',char(10)),'2026-11-24',1795425000,'root',NULL,NULL);
INSERT INTO regimen VALUES(4,'MRN-4','b12-standard',replace('[b12-standard]\ntitle = Hydroxocobalamin, no neurological involvement\ndrug = hydroxocobalamin\ndose = 1 mg\nroute = IM\nsource = NICE CKS (Anaemia - B12 and folate deficiency) via seeds/004_1588d50b1994512c.txt: 1 mg IM three times a week for 2 weeks, then every 2-3 months for life\nphase = loading: 3 per week (mon,wed,fri) for 6 doses\nphase = maintenance: every 2-3 months for life\n','\n',char(10)),'2026-11-25',1795425300,'root',1796374800,'root');
INSERT INTO regimen VALUES(5,'MRN-2','b12-bariatric',replace('[b12-bariatric]\ntitle = Vitamin B12 after bariatric surgery\ndrug = vitamin B12\ndose = 1 mg\nroute = IM\nsource = Vitamin B12 Injection Guidelines (Praxis Medical Insights) via seeds/001_9bcd10986c0ff3a7.txt: after bariatric surgery, 1 mg IM every 3 months\nphase = maintenance: every 3 months for life\n','\n',char(10)),'2026-12-03',1796288400,'root',NULL,NULL);
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
INSERT INTO dose VALUES(2,1,2,0,1795600800,NULL,'second',0,1795600800,'root',1795602600,'root','logged on the wrong patient');
INSERT INTO dose VALUES(3,1,2,0,1795600800,NULL,NULL,0,1795604400,'root',NULL,NULL,NULL);
INSERT INTO dose VALUES(4,2,1,0,1795446000,NULL,NULL,0,1795446000,'root',NULL,NULL,NULL);
INSERT INTO dose VALUES(5,2,2,0,1795618800,NULL,NULL,0,1795618800,'root',NULL,NULL,NULL);
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
INSERT INTO audit VALUES(1,1795424400,'root','enrol','MRN-1',1,NULL,'{"protocol":"b12-standard","start":"2026-11-23","name":"O''Brien, Jo; \"Jr\" \\ Ünal","tz":"Europe/London"}');
INSERT INTO audit VALUES(2,1795424700,'root','enrol','MRN-2',2,NULL,'{"protocol":"b12-neuro","start":"2026-11-23","name":"Bob","tz":"America/New_York"}');
INSERT INTO audit VALUES(3,1795425000,'root','enrol','MRN-3',3,NULL,'{"protocol":"b12-standard","start":"2026-11-24","name":"Cy","tz":"Asia/Tokyo"}');
INSERT INTO audit VALUES(4,1795425300,'root','enrol','MRN-4',4,NULL,'{"protocol":"b12-standard","start":"2026-11-25","name":"Di","tz":"Europe/London"}');
INSERT INTO audit VALUES(5,1795428000,'root','log','MRN-1',1,1,'{"ordinal":1,"phase":0,"given_at":1795428000,"site":"left deltoid","forced":false}');
INSERT INTO audit VALUES(6,1795600800,'root','log','MRN-1',1,2,'{"ordinal":2,"phase":0,"given_at":1795600800,"site":null,"forced":false}');
INSERT INTO audit VALUES(7,1795602600,'root','void','MRN-1',1,2,'{"ordinal":2,"reason":"logged on the wrong patient"}');
INSERT INTO audit VALUES(8,1795604400,'root','log','MRN-1',1,3,'{"ordinal":2,"phase":0,"given_at":1795600800,"site":null,"forced":false}');
INSERT INTO audit VALUES(9,1795446000,'root','log','MRN-2',2,4,'{"ordinal":1,"phase":0,"given_at":1795446000,"site":null,"forced":false}');
INSERT INTO audit VALUES(10,1795618800,'root','log','MRN-2',2,5,'{"ordinal":2,"phase":0,"given_at":1795618800,"site":null,"forced":false}');
INSERT INTO audit VALUES(11,1795622400,'root','feed','MRN-1',NULL,NULL,'{"event":"issue","feed":"patient","patient":"MRN-1","feed_token_id":1,"revoked_feed_token_id":null}');
INSERT INTO audit VALUES(12,1795622400,'root','feed',NULL,NULL,NULL,'{"event":"issue","feed":"clinic","patient":null,"feed_token_id":2,"revoked_feed_token_id":null}');
INSERT INTO audit VALUES(13,1795622700,'root','feed','MRN-1',NULL,NULL,'{"event":"rotate","feed":"patient","patient":"MRN-1","feed_token_id":3,"revoked_feed_token_id":1}');
INSERT INTO audit VALUES(14,1796115600,'root','advance','MRN-2',2,NULL,'{"phase":0,"name":"loading"}');
INSERT INTO audit VALUES(15,1796202000,'root','stop','MRN-2',2,NULL,'{"protocol":"b12-neuro"}');
INSERT INTO audit VALUES(16,1796288400,'root','enrol','MRN-2',5,NULL,'{"protocol":"b12-bariatric","start":"2026-12-03","name":"Bob","tz":"America/New_York"}');
INSERT INTO audit VALUES(17,1796374800,'root','stop','MRN-4',4,NULL,'{"protocol":"b12-standard"}');
CREATE TABLE IF NOT EXISTS "advance" (
	id INTEGER PRIMARY KEY,
	regimen_id INTEGER NOT NULL REFERENCES regimen(id),
	phase_index INTEGER NOT NULL CHECK (phase_index >= 0),
	advanced_at INTEGER NOT NULL,
	advanced_by TEXT NOT NULL
);
INSERT INTO advance VALUES(1,2,0,1796115600,'root');
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
INSERT INTO feed_token VALUES(1,'MRN-1','5331bbf2d6c53da255129cc39fdc9d51ed098bf6d624188f68d8ce7050f46dda',1795622400,'root',1795622700,'root');
INSERT INTO feed_token VALUES(2,NULL,'a1fd07d466c3eb8f5cae9704f89f35e3bd63dc8bf52bb991afc4705464ce79c8',1795622400,'root',NULL,NULL);
INSERT INTO feed_token VALUES(3,'MRN-1','46f84287916b1f63ec17bcd7457dfa708069c345ec66db794fb951123b55d6c1',1795622700,'root',NULL,NULL);
CREATE TABLE feed_event (
	key TEXT PRIMARY KEY NOT NULL,
	fingerprint TEXT NOT NULL,
	sequence INTEGER NOT NULL CHECK (sequence >= 0),
	changed_at INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO feed_event VALUES('p:MRN-1','6be229172ad27148ca63214a89f06eab5345e28e1439a3250693fc288b62fecf',0,1795623000);
INSERT INTO feed_event VALUES('p:MRN-1-dose-1-10@dosed','5673132969193ab2b50d7ef499c3e82b3259a00d7678664089a9091ff2f21229',0,1795623000);
INSERT INTO feed_event VALUES('p:MRN-1-dose-1-11@dosed','3f3c3da1edd53843baa94d956957b13e447bc939955b645bb61c23257fede98e',0,1795623000);
INSERT INTO feed_event VALUES('p:MRN-1-dose-1-1@dosed','6a462103fb71753df40fff17906c6543520f34f18d14254819f55108f4b94ba8',0,1795623000);
INSERT INTO feed_event VALUES('p:MRN-1-dose-1-2@dosed','f9bb76d11f246de99dc91b9669d585032e714e2bedfcde534e80fdc6b0c4f316',0,1795623000);
INSERT INTO feed_event VALUES('p:MRN-1-dose-1-3@dosed','24bbef6441da7c769dc17d9a2c1a8569076f2ce0ea7b1106cdbefc6a815d9f50',0,1795623000);
INSERT INTO feed_event VALUES('p:MRN-1-dose-1-4@dosed','c07784a3533726eac86174b7b81b4bcd39bb306bdd9e4da3d1536761a2a3f730',0,1795623000);
INSERT INTO feed_event VALUES('p:MRN-1-dose-1-5@dosed','20ca1e3ef056b570ea49502d3746f9e6a1df75f49ecfe8f4852bfe640603e904',0,1795623000);
INSERT INTO feed_event VALUES('p:MRN-1-dose-1-6@dosed','0e23f16ff72b4523069dc9af1e7db8b60816ed0c9539fecedb8c5e31d3ef4953',0,1795623000);
INSERT INTO feed_event VALUES('p:MRN-1-dose-1-7@dosed','51201debd1adc386e3acf98639882a9249ac30f05f484a3315e3245a559db9a8',0,1795623000);
INSERT INTO feed_event VALUES('p:MRN-1-dose-1-8@dosed','55e75e129cac151258a7cebed6ac4ef428b989adcf8a21d04f1b3c7af59927de',0,1795623000);
INSERT INTO feed_event VALUES('p:MRN-1-dose-1-9@dosed','25de9fd07816eaf66089b1cffd1f8c43e0d0154d688b79d31b7e398ff335df54',0,1795623000);
CREATE TABLE reminder_delivery (
	id INTEGER PRIMARY KEY,
	regimen_id INTEGER NOT NULL REFERENCES regimen(id),
	ordinal INTEGER NOT NULL CHECK (ordinal >= 1),
	kind TEXT NOT NULL CHECK (kind IN ('lead', 'due', 'overdue')),
	moment INTEGER NOT NULL CHECK (moment > 0),
	delivered_at INTEGER NOT NULL
);
INSERT INTO reminder_delivery VALUES(1,1,3,'due',1796374800,1796374801);
CREATE TABLE reminder_snooze (
	id INTEGER PRIMARY KEY,
	regimen_id INTEGER NOT NULL REFERENCES regimen(id),
	ordinal INTEGER NOT NULL CHECK (ordinal >= 1),
	until INTEGER NOT NULL CHECK (until > 0),
	asked_at INTEGER NOT NULL
);
INSERT INTO reminder_snooze VALUES(1,1,3,1796378400,1796374810);
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
CREATE INDEX reminder_delivery_by_dose
	ON reminder_delivery(regimen_id, ordinal, moment);
CREATE INDEX reminder_snooze_by_dose ON reminder_snooze(regimen_id, ordinal, until);
CREATE TRIGGER reminder_delivery_never_deleted BEFORE DELETE ON reminder_delivery
	BEGIN SELECT RAISE(ABORT, 'dosed never deletes a delivered reminder'); END;
CREATE TRIGGER reminder_delivery_never_changed BEFORE UPDATE ON reminder_delivery
	BEGIN SELECT RAISE(ABORT, 'dosed never changes a delivered reminder'); END;
CREATE TRIGGER reminder_snooze_never_deleted BEFORE DELETE ON reminder_snooze
	BEGIN SELECT RAISE(ABORT, 'dosed never deletes a snooze'); END;
CREATE TRIGGER reminder_snooze_never_changed BEFORE UPDATE ON reminder_snooze
	BEGIN SELECT RAISE(ABORT, 'dosed never changes a snooze'); END;
COMMIT;
PRAGMA application_id = 1146049349;
PRAGMA user_version = 3;
PRAGMA journal_mode = WAL;
