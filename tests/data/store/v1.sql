-- v1.sql - a database as dosed 0.1.0 (schema 1, issue 2) wrote it, to test
-- the forward migration of store_open().  Made with that release's dosectl:
-- enrol MRN-1 (b12-standard, an awkward name) and MRN-2 (b12-neuro), log
-- doses, void dose 3 and log it again, advance and stop MRN-2; then dumped
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
INSERT INTO regimen VALUES(2,'MRN-2','b12-neuro',replace('[b12-neuro]\ntitle = Hydroxocobalamin, neurological involvement\ndrug = hydroxocobalamin\ndose = 1 mg\nroute = IM\nsource = NICE CKS (Anaemia - B12 and folate deficiency) via seeds/004_1588d50b1994512c.txt: 1 mg IM on alternate days until no further improvement, then every 2 months\nphase = loading: alternate days until advanced\nphase = maintenance: every 2 months for life\n','\n',char(10)),'2026-11-23',1795169100,'root',1796979600,'root');
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
INSERT INTO dose VALUES(4,1,2,0,1795603500,'right deltoid',NULL,0,1795604400,'root',NULL,NULL,NULL);
CREATE TABLE advance (
	id INTEGER PRIMARY KEY,
	regimen_id INTEGER NOT NULL REFERENCES regimen(id),
	phase_index INTEGER NOT NULL CHECK (phase_index >= 0),
	advanced_at INTEGER NOT NULL,
	advanced_by TEXT NOT NULL,
	UNIQUE (regimen_id, phase_index)
);
INSERT INTO advance VALUES(1,2,0,1796893200,'root');
CREATE TABLE audit (
	id INTEGER PRIMARY KEY,
	at INTEGER NOT NULL,
	actor TEXT NOT NULL,
	action TEXT NOT NULL
		CHECK (action IN ('enrol', 'log', 'void', 'advance', 'stop')),
	patient_id TEXT NOT NULL REFERENCES patient(id),
	regimen_id INTEGER NOT NULL REFERENCES regimen(id),
	dose_id INTEGER REFERENCES dose(id),
	detail TEXT NOT NULL DEFAULT '{}'
);
INSERT INTO audit VALUES(1,1795168800,'root','enrol','MRN-1',1,NULL,'{"protocol":"b12-standard","start":"2026-11-23","name":"O''Brien, Jo; \"Jr\" \\ Ünal","tz":"Europe/London"}');
INSERT INTO audit VALUES(2,1795169100,'root','enrol','MRN-2',2,NULL,'{"protocol":"b12-neuro","start":"2026-11-23","name":"Bob","tz":"America/New_York"}');
INSERT INTO audit VALUES(3,1795428000,'root','log','MRN-1',1,1,'{"ordinal":1,"phase":0,"given_at":1795428000,"site":"left deltoid","forced":false}');
INSERT INTO audit VALUES(4,1795431600,'root','log','MRN-2',2,2,'{"ordinal":1,"phase":0,"given_at":1795431600,"site":"left thigh","forced":false}');
INSERT INTO audit VALUES(5,1795600800,'root','log','MRN-1',1,3,'{"ordinal":2,"phase":0,"given_at":1795600800,"site":"right deltoid","forced":false}');
INSERT INTO audit VALUES(6,1795602600,'root','void','MRN-1',1,3,'{"ordinal":2,"reason":"logged twice"}');
INSERT INTO audit VALUES(7,1795604400,'root','log','MRN-1',1,4,'{"ordinal":2,"phase":0,"given_at":1795603500,"site":"right deltoid","forced":false}');
INSERT INTO audit VALUES(8,1796893200,'root','advance','MRN-2',2,NULL,'{"phase":0,"name":"loading"}');
INSERT INTO audit VALUES(9,1796979600,'root','stop','MRN-2',2,NULL,'{"protocol":"b12-neuro"}');
CREATE INDEX regimen_by_patient ON regimen(patient_id, id);
CREATE UNIQUE INDEX regimen_one_active ON regimen(patient_id)
	WHERE stopped_at IS NULL;
CREATE UNIQUE INDEX dose_one_per_ordinal ON dose(regimen_id, ordinal)
	WHERE voided_at IS NULL;
CREATE INDEX dose_by_regimen ON dose(regimen_id, given_at, id);
CREATE INDEX audit_by_patient ON audit(patient_id, at);
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
CREATE TRIGGER advance_never_deleted BEFORE DELETE ON advance
	BEGIN SELECT RAISE(ABORT, 'dosed never deletes an advance'); END;
CREATE TRIGGER advance_never_changed BEFORE UPDATE ON advance
	BEGIN SELECT RAISE(ABORT, 'dosed never changes an advance'); END;
CREATE TRIGGER audit_never_deleted BEFORE DELETE ON audit
	BEGIN SELECT RAISE(ABORT, 'dosed never deletes the audit trail'); END;
CREATE TRIGGER audit_never_changed BEFORE UPDATE ON audit
	BEGIN SELECT RAISE(ABORT, 'dosed never changes the audit trail'); END;
COMMIT;
PRAGMA application_id = 1146049349;
PRAGMA user_version = 1;
PRAGMA journal_mode = WAL;
