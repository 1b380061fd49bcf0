-- v4.sql - a database as dosed with schema 4 (issue 7) wrote it, to test
-- the forward migration of store_open() to schema 5 (each advance records
-- the last dose recorded before it; issue 12).  Made with that release's
-- dosectl and catalogue (the sources citing the clinical source alone) and
-- a clinic protocol, the clock pinned with DOSED_NOW: enrol MRN-1, MRN-2
-- and MRN-3 on b12-neuro and MRN-4 on clinic-initial-alternate; issue
-- MRN-1's feed and the clinic's; then, all in Europe/London:
--   MRN-1  log, then log and advance in the same second (the dose was
--          logged first: schema 4 placed it after the advance)
--   MRN-2  log, then advance and log --force in the same second (the
--          advance first); stop, enrol again, log and advance in the same
--          second (regimen 5)
--   MRN-3  log, advance at 10:00, then at 11:00 log a dose given at 09:00
--   MRN-4  three doses, advance the alternate phase before its first dose,
--          void the third dose
-- then dumped with sqlite3's .dump.  The header pragmas, which .dump
-- leaves out, are added at the end.  Never edit it: it is what is out there.
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE patient (
	id TEXT PRIMARY KEY NOT NULL CHECK (id <> ''),
	name TEXT NOT NULL,
	tz TEXT NOT NULL CHECK (tz <> ''),
	created_at INTEGER NOT NULL,
	created_by TEXT NOT NULL
);
INSERT INTO patient VALUES('MRN-1','O''Brien, Jo; "Jr" \ Ünal','Europe/London',1795176000,'root');
INSERT INTO patient VALUES('MRN-2','Bob','Europe/London',1795176000,'root');
INSERT INTO patient VALUES('MRN-3','Cy','Europe/London',1795176000,'root');
INSERT INTO patient VALUES('MRN-4','Di','Europe/London',1795176000,'root');
CREATE TABLE regimen (
	id INTEGER PRIMARY KEY,
	patient_id TEXT NOT NULL REFERENCES patient(id),
	protocol_id TEXT NOT NULL,
	start_date TEXT NOT NULL CHECK (start_date GLOB
		'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
	enrolled_at INTEGER NOT NULL,
	enrolled_by TEXT NOT NULL,
	stopped_at INTEGER,
	stopped_by TEXT, protocol_copy_id INTEGER REFERENCES protocol_copy(id),
	CHECK ((stopped_at IS NULL) = (stopped_by IS NULL))
);
INSERT INTO regimen VALUES(1,'MRN-1','b12-neuro','2026-11-23',1795176000,'root',NULL,NULL,1);
INSERT INTO regimen VALUES(2,'MRN-2','b12-neuro','2026-11-23',1795176000,'root',1795683600,'root',1);
INSERT INTO regimen VALUES(3,'MRN-3','b12-neuro','2026-11-23',1795176000,'root',NULL,NULL,1);
INSERT INTO regimen VALUES(4,'MRN-4','clinic-initial-alternate','2026-11-23',1795176000,'root',NULL,NULL,2);
INSERT INTO regimen VALUES(5,'MRN-2','b12-neuro','2026-11-27',1795683600,'root',NULL,NULL,1);
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
INSERT INTO dose VALUES(1,1,1,0,1795424400,NULL,NULL,0,1795424400,'root',NULL,NULL,NULL);
INSERT INTO dose VALUES(2,2,1,0,1795424400,NULL,NULL,0,1795424400,'root',NULL,NULL,NULL);
INSERT INTO dose VALUES(3,3,1,0,1795424400,NULL,NULL,0,1795424400,'root',NULL,NULL,NULL);
INSERT INTO dose VALUES(4,4,1,0,1795424400,NULL,NULL,0,1795424400,'root',NULL,NULL,NULL);
INSERT INTO dose VALUES(5,4,2,0,1795510800,NULL,NULL,0,1795510800,'root',NULL,NULL,NULL);
INSERT INTO dose VALUES(6,1,2,0,1795597200,NULL,NULL,0,1795597200,'root',NULL,NULL,NULL);
INSERT INTO dose VALUES(7,2,2,1,1795597200,NULL,NULL,1,1795597200,'root',NULL,NULL,NULL);
INSERT INTO dose VALUES(8,4,3,0,1795597200,NULL,NULL,0,1795597200,'root',1795604400,'root','logged for the wrong patient');
INSERT INTO dose VALUES(9,3,2,0,1795597200,NULL,NULL,0,1795604400,'root',NULL,NULL,NULL);
INSERT INTO dose VALUES(10,5,1,0,1795770000,NULL,NULL,0,1795770000,'root',NULL,NULL,NULL);
CREATE TABLE IF NOT EXISTS "advance" (
	id INTEGER PRIMARY KEY,
	regimen_id INTEGER NOT NULL REFERENCES regimen(id),
	phase_index INTEGER NOT NULL CHECK (phase_index >= 0),
	advanced_at INTEGER NOT NULL,
	advanced_by TEXT NOT NULL
);
INSERT INTO advance VALUES(1,1,0,1795597200,'root');
INSERT INTO advance VALUES(2,2,0,1795597200,'root');
INSERT INTO advance VALUES(3,3,0,1795600800,'root');
INSERT INTO advance VALUES(4,4,1,1795600800,'root');
INSERT INTO advance VALUES(5,5,0,1795770000,'root');
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
INSERT INTO feed_token VALUES(1,'MRN-1','daa6338fb4b134ba241a645b02bfbc0a5efcfb72da0fc270cb4a487576a6f6d9',1795176000,'root',NULL,NULL);
INSERT INTO feed_token VALUES(2,NULL,'6be84c43163add6518d57653b8f4a2f4d7f03f639724f2f77bd1fef1035c8c52',1795176000,'root',NULL,NULL);
CREATE TABLE feed_event (
	key TEXT PRIMARY KEY NOT NULL,
	fingerprint TEXT NOT NULL,
	sequence INTEGER NOT NULL CHECK (sequence >= 0),
	changed_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE reminder_delivery (
	id INTEGER PRIMARY KEY,
	regimen_id INTEGER NOT NULL REFERENCES regimen(id),
	ordinal INTEGER NOT NULL CHECK (ordinal >= 1),
	kind TEXT NOT NULL CHECK (kind IN ('lead', 'due', 'overdue')),
	moment INTEGER NOT NULL CHECK (moment > 0),
	delivered_at INTEGER NOT NULL
);
CREATE TABLE reminder_snooze (
	id INTEGER PRIMARY KEY,
	regimen_id INTEGER NOT NULL REFERENCES regimen(id),
	ordinal INTEGER NOT NULL CHECK (ordinal >= 1),
	until INTEGER NOT NULL CHECK (until > 0),
	asked_at INTEGER NOT NULL
);
CREATE TABLE protocol_copy (
	id INTEGER PRIMARY KEY,
	text TEXT NOT NULL UNIQUE
);
INSERT INTO protocol_copy VALUES(1,replace('[b12-neuro]\ntitle = Hydroxocobalamin, neurological involvement\ndrug = hydroxocobalamin\ndose = 1 mg\nroute = IM\nsource = NICE CKS (Anaemia - B12 and folate deficiency): 1 mg IM on alternate days until no further improvement, then every 2 months\nphase = loading: alternate days until advanced\nphase = maintenance: every 2 months for life\n','\n',char(10)));
INSERT INTO protocol_copy VALUES(2,replace('[clinic-initial-alternate]\ntitle = Cyanocobalamin, initial then alternate days until advanced\ndrug = cyanocobalamin\ndose = 100 mcg\nroute = IM\nsource = clinic test protocol\nphase = initial: daily for 3 doses\nphase = alternate: alternate days until advanced\nphase = maintenance: every 1 month for life\n','\n',char(10)));
CREATE TABLE IF NOT EXISTS "audit" (
	id INTEGER PRIMARY KEY,
	at INTEGER NOT NULL,
	actor TEXT NOT NULL,
	action TEXT NOT NULL
		CHECK (action = 'enrol' OR action = 'log' OR action = 'void'
		       OR action = 'advance' OR action = 'stop' OR action = 'feed'),
	patient_id TEXT REFERENCES patient(id),
	regimen_id INTEGER REFERENCES regimen(id),
	dose_id INTEGER REFERENCES dose(id),
	detail TEXT NOT NULL DEFAULT '{}',
	CHECK (action = 'feed' OR (patient_id IS NOT NULL AND regimen_id IS NOT NULL))
);
INSERT INTO audit VALUES(1,1795176000,'root','enrol','MRN-1',1,NULL,'{"protocol":"b12-neuro","start":"2026-11-23","name":"O''Brien, Jo; \"Jr\" \\ Ünal","tz":"Europe/London"}');
INSERT INTO audit VALUES(2,1795176000,'root','enrol','MRN-2',2,NULL,'{"protocol":"b12-neuro","start":"2026-11-23","name":"Bob","tz":"Europe/London"}');
INSERT INTO audit VALUES(3,1795176000,'root','enrol','MRN-3',3,NULL,'{"protocol":"b12-neuro","start":"2026-11-23","name":"Cy","tz":"Europe/London"}');
INSERT INTO audit VALUES(4,1795176000,'root','enrol','MRN-4',4,NULL,'{"protocol":"clinic-initial-alternate","start":"2026-11-23","name":"Di","tz":"Europe/London"}');
INSERT INTO audit VALUES(5,1795176000,'root','feed','MRN-1',NULL,NULL,'{"event":"issue","feed":"patient","patient":"MRN-1","feed_token_id":1,"revoked_feed_token_id":null}');
INSERT INTO audit VALUES(6,1795176000,'root','feed',NULL,NULL,NULL,'{"event":"issue","feed":"clinic","patient":null,"feed_token_id":2,"revoked_feed_token_id":null}');
INSERT INTO audit VALUES(7,1795424400,'root','log','MRN-1',1,1,'{"ordinal":1,"phase":0,"given_at":1795424400,"site":null,"forced":false}');
INSERT INTO audit VALUES(8,1795424400,'root','log','MRN-2',2,2,'{"ordinal":1,"phase":0,"given_at":1795424400,"site":null,"forced":false}');
INSERT INTO audit VALUES(9,1795424400,'root','log','MRN-3',3,3,'{"ordinal":1,"phase":0,"given_at":1795424400,"site":null,"forced":false}');
INSERT INTO audit VALUES(10,1795424400,'root','log','MRN-4',4,4,'{"ordinal":1,"phase":0,"given_at":1795424400,"site":null,"forced":false}');
INSERT INTO audit VALUES(11,1795510800,'root','log','MRN-4',4,5,'{"ordinal":2,"phase":0,"given_at":1795510800,"site":null,"forced":false}');
INSERT INTO audit VALUES(12,1795597200,'root','log','MRN-1',1,6,'{"ordinal":2,"phase":0,"given_at":1795597200,"site":null,"forced":false}');
INSERT INTO audit VALUES(13,1795597200,'root','advance','MRN-1',1,NULL,'{"phase":0,"name":"loading"}');
INSERT INTO audit VALUES(14,1795597200,'root','advance','MRN-2',2,NULL,'{"phase":0,"name":"loading"}');
INSERT INTO audit VALUES(15,1795597200,'root','log','MRN-2',2,7,'{"ordinal":2,"phase":1,"given_at":1795597200,"site":null,"forced":true}');
INSERT INTO audit VALUES(16,1795597200,'root','log','MRN-4',4,8,'{"ordinal":3,"phase":0,"given_at":1795597200,"site":null,"forced":false}');
INSERT INTO audit VALUES(17,1795600800,'root','advance','MRN-3',3,NULL,'{"phase":0,"name":"loading"}');
INSERT INTO audit VALUES(18,1795600800,'root','advance','MRN-4',4,NULL,'{"phase":1,"name":"alternate"}');
INSERT INTO audit VALUES(19,1795604400,'root','log','MRN-3',3,9,'{"ordinal":2,"phase":0,"given_at":1795597200,"site":null,"forced":false}');
INSERT INTO audit VALUES(20,1795604400,'root','void','MRN-4',4,8,'{"ordinal":3,"reason":"logged for the wrong patient"}');
INSERT INTO audit VALUES(21,1795683600,'root','stop','MRN-2',2,NULL,'{"protocol":"b12-neuro"}');
INSERT INTO audit VALUES(22,1795683600,'root','enrol','MRN-2',5,NULL,'{"protocol":"b12-neuro","start":"2026-11-27","name":"Bob","tz":"Europe/London"}');
INSERT INTO audit VALUES(23,1795770000,'root','log','MRN-2',5,10,'{"ordinal":1,"phase":0,"given_at":1795770000,"site":null,"forced":false}');
INSERT INTO audit VALUES(24,1795770000,'root','advance','MRN-2',5,NULL,'{"phase":0,"name":"loading"}');
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
CREATE TRIGGER regimen_never_changed BEFORE UPDATE OF id, patient_id,
	protocol_id, protocol_copy_id, start_date, enrolled_at, enrolled_by ON regimen
	BEGIN SELECT RAISE(ABORT, 'dosed never changes a regimen'); END;
CREATE TRIGGER regimen_has_protocol_copy BEFORE INSERT ON regimen
	WHEN NEW.protocol_copy_id IS NULL
	BEGIN SELECT RAISE(ABORT, 'a regimen needs its protocol copy'); END;
CREATE TRIGGER protocol_copy_never_deleted BEFORE DELETE ON protocol_copy
	BEGIN SELECT RAISE(ABORT, 'dosed never deletes a protocol copy'); END;
CREATE TRIGGER protocol_copy_never_changed BEFORE UPDATE ON protocol_copy
	BEGIN SELECT RAISE(ABORT, 'dosed never changes a protocol copy'); END;
CREATE INDEX audit_by_patient ON audit(patient_id, at);
CREATE TRIGGER audit_never_deleted BEFORE DELETE ON audit
	BEGIN SELECT RAISE(ABORT, 'dosed never deletes the audit trail'); END;
CREATE TRIGGER audit_never_changed BEFORE UPDATE ON audit
	BEGIN SELECT RAISE(ABORT, 'dosed never changes the audit trail'); END;
COMMIT;
PRAGMA application_id = 1146049349;
PRAGMA user_version = 4;
PRAGMA journal_mode = WAL;
