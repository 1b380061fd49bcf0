/* store_load.c - loading regimens: one patient's, or every patient's in
 * a few queries whatever their number, handed on one at a time. */
#include "store_private.h"

#include <string.h>

/* The columns read into a DosedRegimen, in regimen_from_row()'s order. */
#define STORE_REGIMEN_COLUMNS \
	"p.id, p.name, p.tz, r.id, r.protocol_id, r.protocol_copy_id, r.start_date, " \
	"r.enrolled_at, r.enrolled_by, r.stopped_at, r.stopped_by"
/* The columns read into a DosedDose, in dose_from_row()'s order. */
#define STORE_DOSE_COLUMNS \
	"d.regimen_id, d.id, d.ordinal, d.phase_index, d.given_at, d.site, d.note, " \
	"d.forced, d.logged_at, d.logged_by, d.voided_at, d.voided_by, d.void_reason"
/* The newest regimen of patient p (regimen ids only grow: nothing is deleted). */
#define STORE_NEWEST_REGIMEN \
	"(SELECT max(n.id) FROM regimen n WHERE n.patient_id = p.id)"

/* ---- loading --------------------------------------------------------- */

/* Parsed protocol copies and opened zones, shared between the regimens of
 * one load: a clinic's patients mostly share a handful of each. */
typedef struct {
	GHashTable *protocols;  /* protocol_copy id -> DosedProtocol ** (shared box) */
	GHashTable *zones;      /* tz name -> GTimeZone * */
	sqlite3_stmt *copy;     /* a protocol copy's text by id, prepared when needed */
	/* Most regimens of a clinic have no advance and many no dose yet:
	 * they share these empty arrays (each regimen holds a reference;
	 * nothing outside this file adds to them), and get arrays of their
	 * own at their first row.  A third of a load's allocations, saved. */
	GPtrArray *no_doses;
	GArray *no_dose_events;
	GArray *no_advances;
	/* The doses and advances of the regimens to load, read before the
	 * regimens (so that each regimen is whole when it is made, and can
	 * be handed on and let go: store_foreach_regimen()). */
	GHashTable *history;    /* regimen id -> RegimenHistory * */
} RegimenLoader;

/* A regimen's doses and advances, waiting for their regimen. */
typedef struct {
	gint64 regimen_id;      /* the key */
	GPtrArray *doses;       /* NULL until the first */
	GArray *advances;       /* NULL until the first */
} RegimenHistory;

static void regimen_history_free(gpointer data)
{
	RegimenHistory *history = data;

	if (history->doses)
		g_ptr_array_unref(history->doses);
	if (history->advances)
		g_array_unref(history->advances);
	g_free(history);
}

static RegimenHistory *loader_history(RegimenLoader *loader, gint64 regimen_id)
{
	RegimenHistory *history = g_hash_table_lookup(loader->history, &regimen_id);

	if (!history) {
		history = g_new0(RegimenHistory, 1);
		history->regimen_id = regimen_id;
		g_hash_table_insert(loader->history, &history->regimen_id, history);
	}
	return history;
}

static void loader_init(RegimenLoader *loader)
{
	loader->protocols = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free,
						  regimen_release_share);
	loader->zones = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					      (GDestroyNotify)g_time_zone_unref);
	loader->copy = NULL;
	loader->no_doses = g_ptr_array_new_with_free_func(dose_destroy);
	loader->no_dose_events = g_array_new(FALSE, TRUE, sizeof(DosedDoseEvent));
	loader->no_advances = g_array_new(FALSE, TRUE, sizeof(DosedAdvanceEvent));
	loader->history = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL,
					       regimen_history_free);
}

static void loader_finish(RegimenLoader *loader)
{
	sqlite3_finalize(loader->copy);
	g_ptr_array_unref(loader->no_doses);
	g_array_unref(loader->no_dose_events);
	g_array_unref(loader->no_advances);
	g_hash_table_unref(loader->protocols);
	g_hash_table_unref(loader->zones);
	g_hash_table_unref(loader->history);
}

/* The shared parse of a regimen row's protocol copy (column 5 its id),
 * read and parsed the first time the id is seen: a few distinct copies
 * for any number of regimens. */
static DosedProtocol **loader_protocol(DosedStore *store, RegimenLoader *loader,
				       sqlite3_stmt *stmt, const char *patient_id,
				       GError **error)
{
	gint64 copy_id = sqlite3_column_int64(stmt, 5);
	DosedProtocol **box = g_hash_table_lookup(loader->protocols, &copy_id);
	GError *local = NULL;
	int rc;

	if (box)
		return box;
	if (!loader->copy &&
	    !(loader->copy = store_prepare(store, "SELECT text FROM protocol_copy WHERE id = ?1",
					   error)))
		return NULL;
	sqlite3_bind_int64(loader->copy, 1, copy_id);
	rc = sqlite3_step(loader->copy);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_fail(store, rc, "reading a protocol copy", error);
		sqlite3_reset(loader->copy);
		return NULL;
	}
	box = regimen_share_protocol(rc == SQLITE_ROW ?
		protocol_from_ini((const char *)sqlite3_column_text(loader->copy, 0),
				  "stored protocol", &local) : NULL);
	sqlite3_reset(loader->copy);
	if (!*box) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_STORE,
			    "the protocol copy of patient '%s' in %s does not read (%s); this dosed cannot use it",
			    patient_id, store->path, local ? local->message : "it is missing");
		g_clear_error(&local);
		regimen_release_share(box);
		return NULL;
	}
	g_hash_table_insert(loader->protocols, g_memdup2(&copy_id, sizeof copy_id), box);
	return box;
}

/* A patient row (id, name, tz) read apart from its regimen: its texts and
 * their lengths. */
typedef struct {
	const char *texts[3];
	gsize lengths[3];
} PatientColumns;

/* One row of STORE_REGIMEN_COLUMNS to a regimen without doses or advances.
 * With `patient`, the first three columns (the patient's) are taken from
 * it instead of the row. */
static DosedRegimen *regimen_from_row(DosedStore *store, RegimenLoader *loader,
				      sqlite3_stmt *stmt, const PatientColumns *patient,
				      GError **error)
{
	/* The text columns and where each goes; they follow the regimen in
	 * its one allocation, a malloc a regimen rather than seven
	 * (bench/NOTES.md). */
	static const int text_columns[] = { 0, 1, 2, 4, 8, 10 };
	g_autoptr(DosedRegimen) regimen = NULL;
	g_autoptr(GError) local = NULL;
	const char *start_text;
	DosedProtocol **box;
	GTimeZone *tz;
	const unsigned char *texts[G_N_ELEMENTS(text_columns)];
	gsize lengths[G_N_ELEMENTS(text_columns)];
	gsize size = 0;
	char *next;

	for (size_t i = 0; i < G_N_ELEMENTS(text_columns); i++) {
		if (patient && text_columns[i] < 3) {
			texts[i] = (const unsigned char *)patient->texts[text_columns[i]];
			lengths[i] = patient->lengths[text_columns[i]];
			size += texts[i] ? lengths[i] + 1 : 0;
			continue;
		}
		/* Text first, then its length (sqlite.org/c3ref/column_blob.html). */
		texts[i] = sqlite3_column_text(stmt, text_columns[i]);
		lengths[i] = texts[i] ? (gsize)sqlite3_column_bytes(stmt, text_columns[i]) : 0;
		size += texts[i] ? lengths[i] + 1 : 0;
	}
	regimen = g_malloc0(sizeof *regimen + size);
	next = (char *)(regimen + 1);
	char **fields[G_N_ELEMENTS(text_columns)] = {
		&regimen->patient_id, &regimen->name, &regimen->tz_name,
		&regimen->protocol_id, &regimen->enrolled_by, &regimen->stopped_by,
	};
	for (size_t i = 0; i < G_N_ELEMENTS(text_columns); i++) {
		if (!texts[i])
			continue;
		memcpy(next, texts[i], lengths[i]);
		next[lengths[i]] = '\0';
		*fields[i] = next;
		next += lengths[i] + 1;
	}
	regimen->regimen_id = sqlite3_column_int64(stmt, 3);
	start_text = (const char *)sqlite3_column_text(stmt, 6);
	regimen->enrolled_at = sqlite3_column_int64(stmt, 7);
	regimen->stopped_at = sqlite3_column_int64(stmt, 9);
	regimen->doses = g_ptr_array_ref(loader->no_doses);
	regimen->dose_events = g_array_ref(loader->no_dose_events);
	regimen->advances = g_array_ref(loader->no_advances);

	tz = g_hash_table_lookup(loader->zones, regimen->tz_name);
	if (!tz) {
		tz = zone_open(regimen->tz_name, &local);
		if (!tz) {
			g_set_error(error, DOSED_ERROR, DOSED_ERROR_STORE,
				    "patient '%s' in %s has a time zone this machine does not know (%s); install the tzdata package",
				    regimen->patient_id, store->path, local->message);
			return NULL;
		}
		g_hash_table_insert(loader->zones, g_strdup(regimen->tz_name), tz);
	}
	regimen->tz = g_time_zone_ref(tz);

	box = loader_protocol(store, loader, stmt, regimen->patient_id, error);
	if (!box)
		return NULL;
	regimen->protocol_share = g_atomic_rc_box_acquire(box);
	regimen->protocol = *box;

	if (!start_text || !date_parse(start_text, &regimen->start, &local)) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_STORE,
			    "the start date of patient '%s' in %s does not read (%s)",
			    regimen->patient_id, store->path, start_text ? start_text : "none");
		return NULL;
	}
	return g_steal_pointer(&regimen);
}

/* One row of STORE_DOSE_COLUMNS (after its regimen_id) to a dose. */
static DosedDose *dose_from_row(sqlite3_stmt *stmt)
{
	DosedDose *dose = g_new0(DosedDose, 1);

	dose->id = sqlite3_column_int64(stmt, 1);
	dose->ordinal = sqlite3_column_int(stmt, 2);
	dose->phase_index = sqlite3_column_int(stmt, 3);
	dose->given_at = sqlite3_column_int64(stmt, 4);
	dose->site = column_strdup(stmt, 5);
	dose->note = column_strdup(stmt, 6);
	dose->forced = sqlite3_column_int(stmt, 7) != 0;
	dose->logged_at = sqlite3_column_int64(stmt, 8);
	dose->logged_by = column_strdup(stmt, 9);
	dose->voided_at = sqlite3_column_int64(stmt, 10);
	dose->voided_by = column_strdup(stmt, 11);
	dose->void_reason = column_strdup(stmt, 12);
	return dose;
}

/* Fill dose_events and view once every dose is in: the events point into
 * the DosedDose strings, the view into the arrays, which no longer move. */
static void regimen_make_view(DosedRegimen *regimen)
{
	if (regimen->doses->len > 0) {
		g_array_unref(regimen->dose_events);
		regimen->dose_events = g_array_sized_new(FALSE, TRUE, sizeof(DosedDoseEvent),
							 regimen->doses->len);
	}
	for (guint i = 0; i < regimen->doses->len; i++) {
		const DosedDose *dose = g_ptr_array_index(regimen->doses, i);
		DosedDoseEvent event = {
			.given_at = dose->given_at,
			.ordinal = dose->ordinal,
			.site = dose->site,
			.id = dose->id,
		};

		if (dose->voided_at == 0)
			g_array_append_val(regimen->dose_events, event);
	}
	regimen->view = (DosedRegimenView){
		.protocol = regimen->protocol,
		.start = regimen->start,
		.tz = regimen->tz,
		.doses = (const DosedDoseEvent *)(void *)regimen->dose_events->data,
		.n_doses = regimen->dose_events->len,
		.advances = (const DosedAdvanceEvent *)(void *)regimen->advances->data,
		.n_advances = regimen->advances->len,
		.stopped_at = regimen->stopped_at,
	};
}

/* Read the rows of a dose or advance query (column 0 is the regimen id)
 * into the loader's history, in query order. */
static bool store_read_doses(DosedStore *store, RegimenLoader *loader, sqlite3_stmt *stmt,
			     GError **error)
{
	int rc;

	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		RegimenHistory *history = loader_history(loader, sqlite3_column_int64(stmt, 0));

		if (!history->doses)
			history->doses = g_ptr_array_new_with_free_func(dose_destroy);
		g_ptr_array_add(history->doses, dose_from_row(stmt));
	}
	if (rc != SQLITE_DONE) {
		store_fail(store, rc, "reading doses", error);
		return false;
	}
	return true;
}

static bool store_read_advances(DosedStore *store, RegimenLoader *loader, sqlite3_stmt *stmt,
				GError **error)
{
	int rc;

	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		RegimenHistory *history = loader_history(loader, sqlite3_column_int64(stmt, 0));
		DosedAdvanceEvent event = {
			.phase_index = sqlite3_column_int(stmt, 1),
			.at = sqlite3_column_int64(stmt, 2),
			.after_dose = sqlite3_column_int64(stmt, 3),
		};

		if (!history->advances)
			history->advances = g_array_new(FALSE, TRUE, sizeof(DosedAdvanceEvent));
		g_array_append_val(history->advances, event);
	}
	if (rc != SQLITE_DONE) {
		store_fail(store, rc, "reading advances", error);
		return false;
	}
	return true;
}

/* What a load gives each regimen it makes, which takes it: the regimen is
 * the callee's, whatever it returns (false with `error` set stops the
 * load). */
typedef bool (*TakeRegimenFunc)(DosedRegimen *regimen, void *data, GError **error);

/* Give `take` a regimen as its row made it, complete with its doses and
 * advances. */
static bool give_complete_regimen(RegimenLoader *loader, DosedRegimen *regimen,
				  TakeRegimenFunc take, void *data, GError **error)
{
	RegimenHistory *history = g_hash_table_size(loader->history) > 0 ?
				  g_hash_table_lookup(loader->history, &regimen->regimen_id) : NULL;

	if (history && history->doses) {
		g_ptr_array_unref(regimen->doses);
		regimen->doses = g_steal_pointer(&history->doses);
	}
	if (history && history->advances) {
		g_array_unref(regimen->advances);
		regimen->advances = g_steal_pointer(&history->advances);
	}
	regimen_make_view(regimen);
	return take(regimen, data, error);
}

/* Loads read in one transaction of their own when the caller has none, so
 * that the regimens, doses and advances are one consistent snapshot. */
static bool store_read_begin(DosedStore *store, bool *own, GError **error)
{
	*own = sqlite3_get_autocommit(store->db) != 0;
	return !*own || store_exec(store, "BEGIN", "starting to read", error);
}

static void store_read_end(DosedStore *store, bool own)
{
	if (own && !sqlite3_get_autocommit(store->db))
		sqlite3_exec(store->db, "COMMIT", NULL, NULL, NULL);
}

/* The queries of a load, for one patient (?1 = its id) or for all of them
 * (?1 = true to leave out the stopped ones).  Three in all, whatever the
 * number of patients: the regimens, then their doses, then their advances.
 *
 * For all patients the doses and advances are read from their own tables,
 * joined to the regimen they belong to, and kept when it is the newest,
 * rather than found from every patient's newest regimen (bench/NOTES.md).
 * An active regimen is always its
 * patient's newest (a patient is enrolled again only once stopped), so
 * "active only" reads the regimens from the index of active ones. */
#define STORE_REGIMENS_ONE_SQL \
	"SELECT " STORE_REGIMEN_COLUMNS " FROM patient p" \
	" JOIN regimen r ON r.id = " STORE_NEWEST_REGIMEN " WHERE p.id = ?1"
#define STORE_DOSES_ONE_SQL \
	"SELECT " STORE_DOSE_COLUMNS " FROM patient p" \
	" JOIN regimen r ON r.id = " STORE_NEWEST_REGIMEN \
	" JOIN dose d ON d.regimen_id = r.id WHERE p.id = ?1 ORDER BY d.given_at, d.id"
#define STORE_ADVANCES_ONE_SQL \
	"SELECT a.regimen_id, a.phase_index, a.advanced_at, a.after_dose_id FROM patient p" \
	" JOIN regimen r ON r.id = " STORE_NEWEST_REGIMEN \
	" JOIN advance a ON a.regimen_id = r.id WHERE p.id = ?1 ORDER BY a.id"
/* The newest regimen of r's patient, active when ?1 says so, of a patient
 * from ?2 to before ?3.  The range is a filter, not a way in ("+"): read
 * by the range, the query went through every regimen to find the few
 * with doses. */
#define STORE_WHERE_R_NEWEST_IN_RANGE \
	" WHERE r.id = (SELECT max(n.id) FROM regimen n WHERE n.patient_id = r.patient_id)" \
	" AND (NOT ?1 OR r.stopped_at IS NULL) AND +r.patient_id >= ?2 AND +r.patient_id < ?3"
#define STORE_DOSES_ALL_SQL \
	"SELECT " STORE_DOSE_COLUMNS " FROM dose d JOIN regimen r ON r.id = d.regimen_id" \
	STORE_WHERE_R_NEWEST_IN_RANGE " ORDER BY d.given_at, d.id"
#define STORE_ADVANCES_ALL_SQL \
	"SELECT a.regimen_id, a.phase_index, a.advanced_at, a.after_dose_id FROM advance a" \
	" JOIN regimen r ON r.id = a.regimen_id" STORE_WHERE_R_NEWEST_IN_RANGE " ORDER BY a.id"

static const char *const store_load_one_sql[] = {
	STORE_REGIMENS_ONE_SQL,
	STORE_DOSES_ONE_SQL,
	STORE_ADVANCES_ONE_SQL,
};
/* All patients' regimens: store_read_newest_regimens(). */
static const char *const store_load_all_sql[] = {
	NULL,
	STORE_DOSES_ALL_SQL,
	STORE_ADVANCES_ALL_SQL,
};
static const char *const store_load_active_sql[] = {
	NULL,
	STORE_DOSES_ALL_SQL,
	STORE_ADVANCES_ALL_SQL,
};

/* Which patients a load of all of them reads: those whose id is from
 * `first` to before `end` (store_foreach_regimen_in()). */
typedef struct {
	const char *first;      /* NULL: from the first */
	const char *end;        /* NULL: to the last */
} PatientRange;

/* Bind a range's ends to ?N and ?N+1: an id is TEXT and never empty, so
 * '' is before any, and a BLOB (x'') after any (SQLite orders TEXT before
 * BLOB): both ends stay plain comparisons, which the index can seek. */
static void store_bind_range(sqlite3_stmt *stmt, int n, const PatientRange *range)
{
	bind_text(stmt, n, range && range->first ? range->first : "");
	if (range && range->end)
		bind_text(stmt, n + 1, range->end);
	else
		sqlite3_bind_zeroblob(stmt, n + 1, 0);
}

/* Bind a load query's parameters: the patient id, or "active only" and
 * the range of patients. */
static void store_bind_load(sqlite3_stmt *stmt, const char *patient_id, bool active_only,
			    const PatientRange *range)
{
	if (sqlite3_bind_parameter_count(stmt) == 0)
		return;
	if (patient_id) {
		bind_text(stmt, 1, patient_id);
		return;
	}
	sqlite3_bind_int(stmt, 1, active_only);
	store_bind_range(stmt, 2, range);
}

/* Every patient's newest regimen (only active ones when active_only), with
 * the patient's columns, in patient id order.  Both tables are read in
 * patient id order, each along its own index, and merged: a join in SQL
 * searched the patient index and table for each regimen (bench/NOTES.md). */
#define STORE_PATIENTS_SCAN_SQL \
	"SELECT id, name, tz FROM patient WHERE id >= ?1 AND id < ?2 ORDER BY id"
/* STORE_REGIMEN_COLUMNS' places, the patient's name and tz left out. */
#define STORE_REGIMENS_SCAN_COLUMNS \
	"r.patient_id, NULL, NULL, r.id, r.protocol_id, r.protocol_copy_id, r.start_date, " \
	"r.enrolled_at, r.enrolled_by, r.stopped_at, r.stopped_by"
#define STORE_REGIMENS_SCAN_ALL_SQL \
	"SELECT " STORE_REGIMENS_SCAN_COLUMNS " FROM regimen r" \
	" WHERE r.patient_id >= ?1 AND r.patient_id < ?2 ORDER BY r.patient_id, r.id"
#define STORE_REGIMENS_SCAN_ACTIVE_SQL \
	"SELECT " STORE_REGIMENS_SCAN_COLUMNS " FROM regimen r WHERE r.stopped_at IS NULL" \
	" AND r.patient_id >= ?1 AND r.patient_id < ?2 ORDER BY r.patient_id"

/* SQLite's BINARY collation, by which both scans are ordered: the bytes,
 * then the length. */
static int store_binary_compare(const void *a, gsize a_length, const void *b, gsize b_length)
{
	int order = memcmp(a, b, MIN(a_length, b_length));

	if (order)
		return order;
	return a_length < b_length ? -1 : a_length > b_length;
}

static bool store_read_newest_regimens(DosedStore *store, RegimenLoader *loader,
				       bool active_only, const PatientRange *range,
				       TakeRegimenFunc take, void *data, GError **error)
{
	g_autoptr(sqlite3_stmt) patients = store_prepare(store, STORE_PATIENTS_SCAN_SQL, error);
	g_autoptr(sqlite3_stmt) stmt = NULL;
	/* The last regimen made, handed on once the next row shows it is
	 * its patient's newest (a patient's regimens come by id, and ids
	 * only grow). */
	DosedRegimen *pending = NULL;
	PatientColumns patient;
	int patient_rc = SQLITE_ROW;
	int rc;

	memset(&patient, 0, sizeof patient);
	if (!patients)
		return false;
	stmt = store_prepare(store, active_only ? STORE_REGIMENS_SCAN_ACTIVE_SQL :
			     STORE_REGIMENS_SCAN_ALL_SQL, error);
	if (!stmt)
		return false;
	store_bind_range(patients, 1, range);
	store_bind_range(stmt, 1, range);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const void *patient_id = sqlite3_column_blob(stmt, 0);
		gsize length = (gsize)sqlite3_column_bytes(stmt, 0);
		DosedRegimen *regimen;
		int order = 1;

		/* The patient row of this regimen, or the first after it. */
		while (patient_rc == SQLITE_ROW && patient_id &&
		       (!patient.texts[0] ||
			(order = store_binary_compare(patient.texts[0], patient.lengths[0],
						      patient_id, length)) < 0)) {
			patient_rc = sqlite3_step(patients);
			if (patient_rc != SQLITE_ROW)
				break;
			for (int i = 0; i < 3; i++) {
				patient.texts[i] = (const char *)sqlite3_column_text(patients, i);
				patient.lengths[i] = (gsize)sqlite3_column_bytes(patients, i);
			}
		}
		if (patient_rc != SQLITE_ROW && patient_rc != SQLITE_DONE) {
			store_fail(store, patient_rc, "reading patients", error);
			goto fail;
		}
		/* A regimen's patient row is there (a foreign key); the join
		 * would leave out one that is not, and so does this. */
		if (patient_rc != SQLITE_ROW || order != 0)
			continue;
		regimen = regimen_from_row(store, loader, stmt, &patient, error);
		if (!regimen)
			goto fail;
		if (pending && strcmp(pending->patient_id, regimen->patient_id) == 0) {
			regimen_destroy(pending);
		} else if (pending && !give_complete_regimen(loader, pending, take, data, error)) {
			regimen_destroy(regimen);
			return false;
		}
		pending = regimen;
	}
	if (rc != SQLITE_DONE) {
		store_fail(store, rc, "reading regimens", error);
		goto fail;
	}
	return !pending || give_complete_regimen(loader, pending, take, data, error);
fail:
	regimen_destroy(pending);
	return false;
}

/* Load the regimens (one patient's, or all patients' by patient id) and
 * hand each to `take` as it is made.  Three queries whatever the number of
 * patients: the doses, the advances, then the regimens. */
static bool store_load(DosedStore *store, const char *patient_id, bool active_only,
		       const PatientRange *range, TakeRegimenFunc take, void *data, GError **error)
{
	const char *const *sql = patient_id ? store_load_one_sql :
				 active_only ? store_load_active_sql : store_load_all_sql;
	g_autoptr(sqlite3_stmt) stmt = NULL;
	RegimenLoader loader;
	bool own = false;
	bool ok = false;
	int rc;

	loader_init(&loader);
	if (!store_read_begin(store, &own, error))
		goto out;

	if (!(stmt = store_prepare(store, sql[1], error)))
		goto out;
	store_bind_load(stmt, patient_id, active_only, range);
	if (!store_read_doses(store, &loader, stmt, error))
		goto out;
	g_clear_pointer(&stmt, sqlite3_finalize);

	if (!(stmt = store_prepare(store, sql[2], error)))
		goto out;
	store_bind_load(stmt, patient_id, active_only, range);
	if (!store_read_advances(store, &loader, stmt, error))
		goto out;
	g_clear_pointer(&stmt, sqlite3_finalize);

	if (!patient_id) {
		ok = store_read_newest_regimens(store, &loader, active_only, range, take, data,
						error);
		goto out;
	}
	if (!(stmt = store_prepare(store, sql[0], error)))
		goto out;
	store_bind_load(stmt, patient_id, active_only, range);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		DosedRegimen *regimen = regimen_from_row(store, &loader, stmt, NULL, error);

		if (!regimen || !give_complete_regimen(&loader, regimen, take, data, error))
			goto out;
	}
	if (rc != SQLITE_DONE) {
		store_fail(store, rc, "reading regimens", error);
		goto out;
	}
	ok = true;
out:
	g_clear_pointer(&stmt, sqlite3_finalize);
	store_read_end(store, own);
	loader_finish(&loader);
	return ok;
}

static bool take_into_array(DosedRegimen *regimen, void *data, GError **error)
{
	(void)error;
	g_ptr_array_add(data, regimen);
	return true;
}

/* The regimens in regimen query order (by patient id). */
static GPtrArray *store_load_array(DosedStore *store, const char *patient_id, bool active_only,
				   GError **error)
{
	GPtrArray *regimens = g_ptr_array_new_with_free_func((GDestroyNotify)regimen_destroy);

	if (!store_load(store, patient_id, active_only, NULL, take_into_array, regimens,
			error))
		g_clear_pointer(&regimens, g_ptr_array_unref);
	return regimens;
}

DosedRegimen *store_load_regimen(DosedStore *store, const char *patient_id, GError **error)
{
	g_autoptr(GPtrArray) regimens = NULL;

	if (!patient_id) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_NO_PATIENT,
			    "no patient given; name one");
		return NULL;
	}
	regimens = store_load_array(store, patient_id, false, error);
	if (!regimens)
		return NULL;
	if (regimens->len == 0) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_UNKNOWN_PATIENT,
			    "unknown patient '%s'", patient_id);
		return NULL;
	}
	return g_ptr_array_steal_index(regimens, 0);
}

GPtrArray *store_load_regimens(DosedStore *store, bool active_only, GError **error)
{
	return store_load_array(store, NULL, active_only, error);
}

typedef struct {
	DosedRegimenFunc each;
	void *data;
} CallersFunc;

/* Hand the regimen to the caller's function, and let it go unless kept. */
static bool take_for_caller(DosedRegimen *regimen, void *data, GError **error)
{
	const CallersFunc *foreach = data;
	bool keep = false;
	bool ok = foreach->each(regimen, &keep, foreach->data, error);

	if (!keep)
		regimen_destroy(regimen);
	return ok;
}

/* The regimens of the patients from `first` (NULL: the first) to before
 * `end` (NULL: the last), by byte order, to the caller's `each`. */
static bool store_foreach_regimen_in(DosedStore *store, bool active_only, const char *first,
				     const char *end, DosedRegimenFunc each, void *data,
				     GError **error)
{
	CallersFunc foreach = { each, data };
	PatientRange range = { first, end };

	return store_load(store, NULL, active_only, &range, take_for_caller, &foreach,
			  error);
}

bool store_foreach_regimen(DosedStore *store, bool active_only, DosedRegimenFunc each,
			   void *data, GError **error)
{
	return store_foreach_regimen_in(store, active_only, NULL, NULL, each, data, error);
}

/* The patient id halfway through a load (of the active regimens, or of
 * all patients), newly allocated, or NULL when there are none. */
static bool store_middle_patient(DosedStore *store, bool active_only, char **patient_id,
				 GError **error)
{
	/* From the index of the regimens to be read: active ones (a
	 * patient's one), or every patient. */
	g_autoptr(sqlite3_stmt) stmt = store_prepare(store, active_only ?
		"SELECT patient_id FROM regimen WHERE stopped_at IS NULL ORDER BY patient_id"
		" LIMIT 1 OFFSET (SELECT count(*) FROM regimen WHERE stopped_at IS NULL) / 2" :
		"SELECT id FROM patient ORDER BY id"
		" LIMIT 1 OFFSET (SELECT count(*) FROM patient) / 2", error);
	bool row;

	*patient_id = NULL;
	if (!stmt || !store_next_row(store, stmt, "reading its patients", &row, error))
		return false;
	if (row)
		*patient_id = column_strdup(stmt, 0);
	return true;
}

/* A second connection to the store's file, in a read transaction of its
 * own that sees what the store's sees, or NULL.  Every change a person
 * makes writes an audit row (store_last_change()), so the same newest
 * change means the same patients, regimens and doses. */
static DosedStore *store_open_twin(DosedStore *store)
{
	g_autoptr(DosedStore) twin = NULL;
	gint64 mine, theirs;

	if (!store_last_change(store, &mine, NULL))
		return NULL;
	twin = store_open(store->path, store->mode, store->busy_timeout_ms, NULL);
	if (!twin || !store_begin(twin, false, NULL) || !store_last_change(twin, &theirs, NULL) ||
	    theirs != mine)
		return NULL;
	return g_steal_pointer(&twin);
}

/* The second half of a load, on the twin, in a thread of its own. */
typedef struct {
	DosedStore *twin;
	bool active_only;
	const char *first;
	DosedRegimenFunc each;
	void *data;
	bool ok;
	GError *error;
} SecondHalf;

static gpointer second_half_run(gpointer data)
{
	SecondHalf *half = data;

	half->ok = store_foreach_regimen_in(half->twin, half->active_only, half->first, NULL,
					    half->each, half->data, &half->error);
	return NULL;
}

bool store_foreach_regimen_halves(DosedStore *store, bool active_only, DosedRegimenFunc each,
				  void *first_data, void *second_data, bool *halved,
				  GError **error)
{
	g_autofree char *middle = NULL;
	g_autoptr(DosedStore) twin = NULL;
	SecondHalf half;
	GThread *thread;
	bool ok;

	*halved = false;
	if (g_get_num_processors() < 2)
		return store_foreach_regimen(store, active_only, each, first_data, error);
	if (!store_middle_patient(store, active_only, &middle, error))
		return false;
	if (!middle || !(twin = store_open_twin(store)))
		return store_foreach_regimen(store, active_only, each, first_data, error);
	*halved = true;
	half = (SecondHalf){ twin, active_only, middle, each, second_data, false, NULL };
	thread = g_thread_new("load", second_half_run, &half);
	ok = store_foreach_regimen_in(store, active_only, NULL, middle, each, first_data, error);
	g_thread_join(thread);
	if (ok && !half.ok) {
		g_propagate_error(error, g_steal_pointer(&half.error));
		ok = false;
	}
	g_clear_error(&half.error);
	return ok;
}

bool store_only_patient(DosedStore *store, char **patient_id, int *count, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt =
		store_prepare(store, "SELECT count(*), min(id) FROM patient", error);
	int rc;

	*patient_id = NULL;
	*count = 0;
	if (!stmt)
		return false;
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW) {
		store_fail(store, rc, "counting patients", error);
		return false;
	}
	*count = sqlite3_column_int(stmt, 0);
	if (*count == 1)
		*patient_id = column_strdup(stmt, 1);
	return true;
}

