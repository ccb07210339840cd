"""When reminders and digests go out: the shipped defaults, each with its meaning.

Data, not code: the data migration copies these into the single `NotificationSettings` row,
which a clinic admin edits; the sweep only ever reads the database copy. Times are clinic-local.
"""

from __future__ import annotations

import datetime as dt

# name: (value, meaning) — the meaning is the admin's help text.
NOTIFICATION_SETTINGS: dict[str, tuple[object, str]] = {
    "patient_reminder_days": (
        "7,3,1",
        "Days before the procedure day on which a patient who still has missing items gets a "
        "reminder naming them (comma-separated, e.g. 7,3,1). Nothing is sent once nothing is missing.",
    ),
    "patient_reminder_time": (dt.time(10, 0), "Clinic time at which those reminders are sent."),
    "day_before_time": (
        dt.time(15, 0),
        "Clinic time, the day before the procedure, of the message with the patient's arrival, food "
        "and clear-liquid stop times, the driver reminder and the calendar file.",
    ),
    "last_dose_time": (
        dt.time(8, 0),
        "Clinic time, on each held medicine's last-dose day, of the 'take your last dose today' "
        "message (for an hours-based hold whose last dose comes earlier, the day before).",
    ),
    "coordinator_digest_time": (
        dt.time(7, 0),
        "Clinic time of the coordinators' daily digest of cases that are not ready.",
    ),
    "clinician_digest_time": (
        dt.time(7, 0),
        "Clinic time of the clinicians' daily digest of the flags only they can clear.",
    ),
    "digest_horizon_days": (
        3,
        "The coordinator digest lists not-ready cases from now to the end of this many days after today.",
    ),
    "clinician_digest_horizon_days": (
        14,
        "The clinician digest looks this many days ahead: a hold plan falls due on the last-dose day, "
        "up to 8 days before the procedure (prasugrel, herbal supplements).",
    ),
    "quiet_hours_start": (
        dt.time(20, 0),
        "Clinic time from which no text message is sent; one planned later waits for the end of the "
        "quiet hours (never past the appointment's start). Equal start and end: no quiet hours.",
    ),
    "quiet_hours_end": (dt.time(8, 0), "Clinic time at which the quiet hours end (the next morning)."),
    "driver_pickup_time": (
        dt.time(18, 0),
        "Clinic time, the evening before, of the text to a confirmed driver with the pickup time and place.",
    ),
    "late_send_grace_hours": (
        12,
        "A message not sent within this many hours of its planned time is dropped, not sent late "
        "(a 7-day reminder is never sent days late; a digest is not sent in the evening).",
    ),
}
