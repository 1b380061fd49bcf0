/* store_audit.c - the audit trail (SPEC 5): who changed what, and when.
 *
 * Every change a person makes writes one row here, in the transaction of
 * the change: an enrolment, a dose logged or voided, an advance, a stop, a
 * feed URL issued or revoked.  The daemon's own bookkeeping (feed event
 * states, reminders shown and snoozed) writes none.  audit.detail is a
 * JSON object of the change's values, which SQLite's json_object() builds
 * from bound parameters; every INSERT INTO audit of dosed is in this file.
 */
#include "store_private.h"

/* An enrolment's detail from four SQL expressions: one shape for a single
 * enrolment's parameters and the staged rows' columns. */
#define AUDIT_ENROL_DETAIL(protocol, start, name, tz) \
	"json_object('protocol', " protocol ", 'start', " start ", 'name', " name \
	", 'tz', " tz ")"

/* ?1 at, ?2 actor, ?3 action, ?4 patient, ?5 regimen, ?6 dose; the
 * detail's values from ?7 on. */
#define AUDIT_INSERT(detail) \
	"INSERT INTO audit (at, actor, action, patient_id, regimen_id, dose_id, detail)" \
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, " detail ")"

static const struct {
	const char *name;       /* audit.action */
	const char *sql;
	size_t n_detail;        /* the detail's values */
	const char *doing;      /* for a failure's message */
} audit_actions[] = {
	[STORE_AUDIT_ENROL] = {
		"enrol", AUDIT_INSERT(AUDIT_ENROL_DETAIL("?7", "?8", "?9", "?10")), 4,
		"recording the enrolment",
	},
	[STORE_AUDIT_LOG] = {
		"log", AUDIT_INSERT("json_object('ordinal', ?7, 'phase', ?8, 'given_at', ?9,"
				    " 'site', ?10, 'forced',"
				    " json(CASE WHEN ?11 THEN 'true' ELSE 'false' END))"), 5,
		"recording the dose",
	},
	[STORE_AUDIT_VOID] = {
		"void", AUDIT_INSERT("json_object('ordinal', ?7, 'reason', ?8)"), 2,
		"voiding the dose",
	},
	[STORE_AUDIT_ADVANCE] = {
		"advance", AUDIT_INSERT("json_object('phase', ?7, 'name', ?8)"), 2,
		"recording the advance",
	},
	[STORE_AUDIT_STOP] = {
		"stop", AUDIT_INSERT("json_object('protocol', ?7)"), 1,
		"stopping the regimen",
	},
	/* What happened to whose feed, never the token or its hash: the
	 * trail is read by more people than the feed. */
	[STORE_AUDIT_FEED] = {
		"feed", AUDIT_INSERT("json_object('event', ?7, 'feed', ?8, 'patient', ?4,"
				     " 'feed_token_id', ?9, 'revoked_feed_token_id', ?10)"), 4,
		"recording the feed token",
	},
};

bool store_audit(DosedStore *store, StoreAuditAction action, const StoreAuditRow *row,
		 const StoreValue *detail, size_t n_detail, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = NULL;

	/* The table above and its callers are written together. */
	g_assert(n_detail == audit_actions[action].n_detail);
	stmt = store_statement(store, audit_actions[action].sql, STORE_VALUES(
		STORE_INT(row->at),
		STORE_TEXT(row->actor),
		STORE_TEXT(audit_actions[action].name),
		STORE_TEXT(row->patient_id),
		row->regimen_id ? STORE_INT(row->regimen_id) : STORE_NULL,
		row->dose_id ? STORE_INT(row->dose_id) : STORE_NULL), error);
	if (!stmt)
		return false;
	store_bind(stmt, 7, detail, n_detail);
	return store_step_done(store, stmt, audit_actions[action].doing, error);
}

bool store_audit_staged_enrolments(DosedStore *store, const char *actor, gint64 at,
				   gint64 regimen_base, GError **error)
{
	return store_run(store,
		"INSERT INTO audit (at, actor, action, patient_id, regimen_id, detail)"
		" SELECT ?1, ?2, 'enrol', patient_id, ?3 + n, "
		AUDIT_ENROL_DETAIL("protocol_id", "start", "name", "tz")
		" FROM " STORE_ENROL_ROWS " ORDER BY n", "recording the enrolments",
		STORE_VALUES(STORE_INT(at), STORE_TEXT(actor), STORE_INT(regimen_base)),
		error);
}

bool store_last_change(DosedStore *store, gint64 *change, GError **error)
{
	return store_query_int64(store, "SELECT coalesce(max(id), 0) FROM audit",
				 "reading its audit trail", change, error);
}
