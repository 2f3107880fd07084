//! Who may run what: every operation (the contract's and those beyond it) against every kind
//! of caller. The table is checked against the schema itself: a query, mutation or
//! subscription no row's operation selects, or a staff-only field of an object no row proves
//! denied to partners, fails `the_table_covers_the_whole_schema`.

use std::collections::BTreeSet;

use apollo_compiler::{
    ExecutableDocument, Schema,
    executable::{Selection, SelectionSet},
    schema::ExtendedType,
};
use serde_json::{Value, json};

use crate::helpers::{Persona, TestApp, operation_documents, spawn_app};

/// What a caller gets: the data, or an error with this code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Allowed,
    Denied(&'static str),
}

use Outcome::{Allowed, Denied};

const UNAUTH: Outcome = Denied("UNAUTHENTICATED");
const FORBID: Outcome = Denied("FORBIDDEN");
const NOTFND: Outcome = Denied("NOT_FOUND");
/// Any other error (a CONFLICT, say): not a matter of rights.
const OTHER: Outcome = Denied("OTHER");

/// Operation → outcome for anonymous, partner, trained partner, animator, admin, trainer (a
/// TRAINER account delivering none of the activities the run makes, unless it says so).
#[rustfmt::skip]
const TABLE: &[(&str, [Outcome; 6])] = &[
    ("SignUp",              [Allowed, Allowed, Allowed, Allowed, Allowed, Allowed]),
    ("LogIn",               [Allowed, Allowed, Allowed, Allowed, Allowed, Allowed]),
    ("Me",                  [UNAUTH,  Allowed, Allowed, Allowed, Allowed, Allowed]),
    ("Users",               [UNAUTH,  FORBID,  FORBID,  Allowed, Allowed, FORBID]),
    ("SetUserRole",         [UNAUTH,  FORBID,  FORBID,  FORBID,  Allowed, FORBID]),
    ("SetTrained",          [UNAUTH,  FORBID,  FORBID,  Allowed, Allowed, FORBID]),
    ("CreateActivity",      [UNAUTH,  FORBID,  FORBID,  Allowed, Allowed, FORBID]),
    ("UpdateActivity",      [UNAUTH,  FORBID,  FORBID,  Allowed, Allowed, FORBID]),
    ("PublishActivity",     [UNAUTH,  FORBID,  FORBID,  Allowed, Allowed, FORBID]),
    ("CancelActivity",      [UNAUTH,  FORBID,  FORBID,  Allowed, Allowed, FORBID]),
    ("CompleteActivity",    [UNAUTH,  FORBID,  FORBID,  Allowed, Allowed, FORBID]),
    ("Activities",          [UNAUTH,  Allowed, Allowed, Allowed, Allowed, FORBID]),
    // Partners get the activity, with a FORBIDDEN error on its `registrations` field only.
    ("Activity",            [UNAUTH,  FORBID,  FORBID,  Allowed, Allowed, NOTFND]),
    ("RegisterForActivity", [UNAUTH,  Allowed, Allowed, Allowed, Allowed, FORBID]),
    ("CancelRegistration",  [UNAUTH,  Allowed, Allowed, Allowed, Allowed, FORBID]),
    ("RecordAttendance",    [UNAUTH,  FORBID,  FORBID,  Allowed, Allowed, FORBID]),
    ("MyRegistrations",     [UNAUTH,  Allowed, Allowed, Allowed, Allowed, FORBID]),
    ("Invite",              [UNAUTH,  FORBID,  FORBID,  Allowed, Allowed, FORBID]),
    ("Invitations",         [UNAUTH,  FORBID,  FORBID,  Allowed, Allowed, FORBID]),
    ("RevokeInvitation",    [UNAUTH,  FORBID,  FORBID,  Allowed, Allowed, FORBID]),
    ("AcceptInvitation",    [Allowed, Allowed, Allowed, Allowed, Allowed, Allowed]),
    ("Mails",               [UNAUTH,  FORBID,  FORBID,  Allowed, Allowed, FORBID]),
    ("ScheduleClubSeason",  [UNAUTH,  FORBID,  FORBID,  Allowed, Allowed, FORBID]),
    ("AskClubQuestion",     [UNAUTH,  FORBID,  Allowed, Allowed, Allowed, FORBID]),
    ("VoteClubQuestion",    [UNAUTH,  FORBID,  Allowed, Allowed, Allowed, FORBID]),
    ("AnswerClubQuestion",  [UNAUTH,  FORBID,  FORBID,  Allowed, Allowed, FORBID]),
    ("ClubMeeting",         [UNAUTH,  FORBID,  Allowed, Allowed, Allowed, NOTFND]),
    // Groups answer NOT_FOUND to outsiders: they must not learn that a group exists.
    ("Groups",              [UNAUTH,  Allowed, Allowed, Allowed, Allowed, FORBID]),
    ("CreateGroup",         [UNAUTH,  FORBID,  FORBID,  Allowed, Allowed, FORBID]),
    ("AddGroupMember",      [UNAUTH,  FORBID,  FORBID,  Allowed, Allowed, FORBID]),
    ("GroupThreads",        [UNAUTH,  NOTFND,  Allowed, Allowed, Allowed, FORBID]),
    ("StartThread",         [UNAUTH,  NOTFND,  Allowed, Allowed, Allowed, FORBID]),
    ("Thread",              [UNAUTH,  NOTFND,  Allowed, Allowed, Allowed, FORBID]),
    ("Reply",               [UNAUTH,  NOTFND,  Allowed, Allowed, Allowed, FORBID]),
    ("AcceptAnswer",        [UNAUTH,  NOTFND,  Allowed, Allowed, Allowed, FORBID]),
    ("OverdueQuestions",    [UNAUTH,  FORBID,  FORBID,  Allowed, Allowed, FORBID]),
    ("EditPost",            [UNAUTH,  FORBID,  FORBID,  Allowed, Allowed, FORBID]),
    ("RemovePost",          [UNAUTH,  FORBID,  FORBID,  Allowed, Allowed, FORBID]),
    ("LockThread",          [UNAUTH,  FORBID,  FORBID,  Allowed, Allowed, FORBID]),
    // A trained partner reads the thread, but not the staff author's address.
    ("ThreadAuthorEmails",  [UNAUTH,  NOTFND,  FORBID,  Allowed, Allowed, FORBID]),
    ("SetGroupNotifications", [UNAUTH, NOTFND, Allowed, Allowed, Allowed, FORBID]),
    ("MessageRegistrants",  [UNAUTH,  FORBID,  FORBID,  Allowed, Allowed, FORBID]),
    ("AddReminder",         [UNAUTH,  FORBID,  FORBID,  Allowed, Allowed, FORBID]),
    ("RemoveReminder",      [UNAUTH,  FORBID,  FORBID,  Allowed, Allowed, FORBID]),
    ("SetSurvey",           [UNAUTH,  FORBID,  FORBID,  Allowed, Allowed, FORBID]),
    // Each caller attended the completed activity it answers about.
    ("AnswerSurvey",        [UNAUTH,  Allowed, Allowed, Allowed, Allowed, FORBID]),
    ("MySurveys",           [UNAUTH,  Allowed, Allowed, Allowed, Allowed, FORBID]),
    // Partners get the activity, with FORBIDDEN errors on `reminders` and `survey`.
    ("ActivityFollowUp",    [UNAUTH,  FORBID,  FORBID,  Allowed, Allowed, NOTFND]),
    ("SurveyResultsShown",  [UNAUTH,  FORBID,  FORBID,  Allowed, Allowed, NOTFND]),
    // A partner creates its own organisation (and manages it from then on).
    ("CreateOrganisation",  [UNAUTH,  Allowed, Allowed, Allowed, Allowed, FORBID]),
    // Organisations answer NOT_FOUND to outsiders, like groups.
    ("AddOrganisationMember", [UNAUTH, NOTFND, NOTFND, Allowed, Allowed, FORBID]),
    ("Organisation",        [UNAUTH,  NOTFND,  NOTFND,  Allowed, Allowed, FORBID]),
    ("Organisations",       [UNAUTH,  FORBID,  FORBID,  Allowed, Allowed, FORBID]),
    ("AdoptOrganisationMembers", [UNAUTH, FORBID, FORBID, Allowed, Allowed, FORBID]),
    ("ImportPartners",      [UNAUTH,  FORBID,  FORBID,  Allowed, Allowed, FORBID]),
    ("SetTrainingProgramme", [UNAUTH, FORBID,  FORBID,  Allowed, Allowed, FORBID]),
    ("ActivityProgramme",   [UNAUTH,  Allowed, Allowed, Allowed, Allowed, NOTFND]),
    ("AssignTrainer",       [UNAUTH,  FORBID,  FORBID,  Allowed, Allowed, FORBID]),
    ("MyTrainings",         [UNAUTH,  Allowed, Allowed, Allowed, Allowed, Allowed]),
    // Partners get the activity, with a FORBIDDEN error on its sheets / its file.
    ("AttendanceSheet",     [UNAUTH,  FORBID,  FORBID,  Allowed, Allowed, Allowed]),
    ("TrainingFile",        [UNAUTH,  FORBID,  FORBID,  Allowed, Allowed, FORBID]),
    ("OpenSignIn",          [UNAUTH,  FORBID,  FORBID,  Allowed, Allowed, Allowed]),
    // Whoever is a confirmed registrant (each caller registers first).
    ("SignAttendance",      [UNAUTH,  Allowed, Allowed, Allowed, Allowed, FORBID]),
    // Only an assigned trainer (staff callers are assigned first; partners cannot be).
    ("SignSheet",           [UNAUTH,  FORBID,  FORBID,  Allowed, Allowed, Allowed]),
    ("CorrectAttendance",   [UNAUTH,  FORBID,  FORBID,  Allowed, Allowed, FORBID]),
    // Its trainers (staff and TRAINER callers are assigned first) and staff.
    ("RecordEvaluation",    [UNAUTH,  FORBID,  FORBID,  Allowed, Allowed, Allowed]),
    ("SetPositioning",      [UNAUTH,  FORBID,  FORBID,  Allowed, Allowed, Allowed]),
    ("Positioning",         [UNAUTH,  FORBID,  FORBID,  Allowed, Allowed, Allowed]),
    ("MyPositionings",      [UNAUTH,  Allowed, Allowed, Allowed, Allowed, Allowed]),
    // Whoever holds a seat (each caller registers first; a trainer cannot).
    ("AnswerPositioning",   [UNAUTH,  Allowed, Allowed, Allowed, Allowed, FORBID]),
    ("SetColdSurvey",       [UNAUTH,  FORBID,  FORBID,  Allowed, Allowed, FORBID]),
    // Partners get the activity, with a FORBIDDEN error on its cold survey.
    ("ColdSurvey",          [UNAUTH,  FORBID,  FORBID,  Allowed, Allowed, NOTFND]),
    ("SetAdmission",        [UNAUTH,  FORBID,  FORBID,  Allowed, Allowed, FORBID]),
    ("RegisterWithAnswers", [UNAUTH,  Allowed, Allowed, Allowed, Allowed, FORBID]),
    // Partners get the activity, with a FORBIDDEN error on its registrations / consents.
    ("PendingRegistrations", [UNAUTH, FORBID,  FORBID,  Allowed, Allowed, NOTFND]),
    ("ActivityConsents",    [UNAUTH,  FORBID,  FORBID,  Allowed, Allowed, NOTFND]),
    ("DecideRegistration",  [UNAUTH,  FORBID,  FORBID,  Allowed, Allowed, FORBID]),
    // Whoever was offered the seat (each caller is offered one; a trainer cannot register).
    ("AnswerOffer",         [UNAUTH,  Allowed, Allowed, Allowed, Allowed, FORBID]),
    ("PublishConsentText",  [UNAUTH,  FORBID,  FORBID,  FORBID,  Allowed, FORBID]),
    ("ConsentTexts",        [Allowed, Allowed, Allowed, Allowed, Allowed, Allowed]),
    ("MyConsents",          [UNAUTH,  Allowed, Allowed, Allowed, Allowed, Allowed]),
    ("GiveConsent",         [UNAUTH,  Allowed, Allowed, Allowed, Allowed, Allowed]),
    ("WithdrawConsent",     [UNAUTH,  Allowed, Allowed, Allowed, Allowed, Allowed]),
    ("CreateTopic",         [UNAUTH,  FORBID,  FORBID,  Allowed, Allowed, FORBID]),
    ("Topics",              [UNAUTH,  Allowed, Allowed, Allowed, Allowed, Allowed]),
    ("SetInterest",         [UNAUTH,  Allowed, Allowed, Allowed, Allowed, FORBID]),
    ("CreateActivityForTopic", [UNAUTH, FORBID, FORBID, Allowed, Allowed, FORBID]),
    // A confirmed registrant of the activity (the run registers the caller first), or staff.
    ("SharePhoto",          [UNAUTH,  Allowed, Allowed, Allowed, Allowed, FORBID]),
    ("TagPeople",           [UNAUTH,  FORBID,  FORBID,  Allowed, Allowed, FORBID]),
    // Another admin's photo: only its author withdraws (`photos.rs`); who may not see it
    // finds none.
    ("WithdrawPhoto",       [UNAUTH,  NOTFND,  NOTFND,  FORBID,  FORBID,  NOTFND]),
    ("Photos",              [UNAUTH,  FORBID,  FORBID,  Allowed, Allowed, FORBID]),
    ("MyPhotos",            [UNAUTH,  Allowed, Allowed, Allowed, Allowed, Allowed]),
    ("FileComplaint",       [UNAUTH,  Allowed, Allowed, Allowed, Allowed, Allowed]),
    ("MyComplaints",        [UNAUTH,  Allowed, Allowed, Allowed, Allowed, Allowed]),
    ("Complaints",          [UNAUTH,  FORBID,  FORBID,  Allowed, Allowed, FORBID]),
    ("AnswerComplaint",     [UNAUTH,  FORBID,  FORBID,  Allowed, Allowed, FORBID]),
    ("TrainingYear",        [UNAUTH,  FORBID,  FORBID,  Allowed, Allowed, FORBID]),
    ("MyOrganisation",      [UNAUTH,  Allowed, Allowed, Allowed, Allowed, FORBID]),
    ("MyOrganisationInvitations", [UNAUTH, Allowed, Allowed, Allowed, Allowed, FORBID]),
    // Only the invited person answers; staff are never invited (another's invitation).
    ("AnswerOrganisationInvitation", [UNAUTH, Allowed, Allowed, NOTFND, NOTFND, FORBID]),
    // Staff belong to no organisation: nothing to leave (CONFLICT).
    ("LeaveOrganisation",   [UNAUTH,  Allowed, Allowed, OTHER,   OTHER, FORBID]),
    // Only a manager of the colleague's organisation; staff register people directly.
    ("RegisterColleague",   [UNAUTH,  FORBID,  FORBID,  FORBID,  FORBID, FORBID]),
    ("RecordPayment",       [UNAUTH,  FORBID,  FORBID,  Allowed, Allowed, FORBID]),
    ("UnpaidRegistrations", [UNAUTH,  FORBID,  FORBID,  Allowed, Allowed, FORBID]),
    ("MyCertificates",      [UNAUTH,  Allowed, Allowed, Allowed, Allowed, FORBID]),
    ("VerifyCertificate",   [Allowed, Allowed, Allowed, Allowed, Allowed, Allowed]),
    ("PublishDiagnostic",   [UNAUTH,  FORBID,  FORBID,  Allowed, Allowed, FORBID]),
    ("CurrentDiagnostic",   [UNAUTH,  Allowed, Allowed, Allowed, Allowed, FORBID]),
    // Partners assess their business; staff have none to assess.
    ("SubmitAssessment",    [UNAUTH,  Allowed, Allowed, FORBID,  FORBID, FORBID]),
    ("MyProgress",          [UNAUTH,  Allowed, Allowed, Allowed, Allowed, FORBID]),
    ("TagActivity",         [UNAUTH,  FORBID,  FORBID,  Allowed, Allowed, FORBID]),
    ("ProgrammeReport",     [UNAUTH,  FORBID,  FORBID,  Allowed, Allowed, FORBID]),
    ("SetMyLocale",         [UNAUTH,  Allowed, Allowed, Allowed, Allowed, Allowed]),
    ("ResetCalendarFeed",   [UNAUTH,  Allowed, Allowed, Allowed, Allowed, FORBID]),
    ("RevokeCalendarFeed",  [UNAUTH,  Allowed, Allowed, Allowed, Allowed, FORBID]),
    ("AuditLog",            [UNAUTH,  FORBID,  FORBID,  FORBID,  Allowed, FORBID]),
    ("MyData",              [UNAUTH,  Allowed, Allowed, Allowed, Allowed, Allowed]),
    ("RequestPasswordReset",[Allowed, Allowed, Allowed, Allowed, Allowed, Allowed]),
    ("ResetPassword",       [Allowed, Allowed, Allowed, Allowed, Allowed, Allowed]),
    ("ResendVerificationEmail", [UNAUTH, Allowed, Allowed, Allowed, Allowed, Allowed]),
    // Only in a session of the account the link was sent for.
    ("VerifyEmail",         [UNAUTH,  Allowed, Allowed, Allowed, Allowed, Allowed]),
    ("MyAddress",           [UNAUTH,  Allowed, Allowed, Allowed, Allowed, Allowed]),
    // These end the caller's sessions: the run logs the caller in again after each.
    ("ChangePassword",      [UNAUTH,  Allowed, Allowed, Allowed, Allowed, Allowed]),
    ("LogOutEverywhere",    [UNAUTH,  Allowed, Allowed, Allowed, Allowed, Allowed]),
    ("DeleteMyAccount",     [UNAUTH,  Allowed, Allowed, Allowed, Allowed, Allowed]),
];

/// Operations after which the caller's token no longer works.
const ENDS_SESSIONS: &[&str] = &["ChangePassword", "LogOutEverywhere", "DeleteMyAccount"];

/// Subscriptions travel over the WebSocket; `groups.rs` tests who may subscribe.
const OVER_WEBSOCKET: &[&str] = &["GroupPosts"];

/// Variables that make each operation succeed when the caller is allowed. Every run gets fresh
/// objects, so one caller's success does not change what the next one meets.
async fn variables(app: &TestApp, operation: &str, run: usize, token: Option<&str>) -> Value {
    let admin = app.admin_token().await;
    match operation {
        "SignUp" => json!({ "input": {
            "email": format!("newcomer{run}@example.fr"),
            "password": crate::helpers::PASSWORD,
            "name": "Newcomer",
        } }),
        "LogIn" => {
            json!({ "email": crate::helpers::ADMIN_EMAIL, "password": crate::helpers::ADMIN_PASSWORD })
        }
        "SetUserRole" | "SetTrained" => {
            let (_, id) = app
                .sign_up(&format!("target{run}@example.fr"), "Target")
                .await;
            json!({ "userId": id, "role": "ANIMATOR", "trained": true })
        }
        "CreateActivity" => {
            let start = app.state.now() + chrono::Duration::days(5);
            json!({ "input": {
                "kind": "WORKSHOP", "title": "Canva", "capacity": 8,
                "sessions": [{ "startsAt": start.to_rfc3339(), "endsAt": (start + chrono::Duration::hours(2)).to_rfc3339() }],
            } })
        }
        "UpdateActivity" => {
            let id = app.create_activity(&admin, 5, json!({})).await;
            json!({ "id": id, "input": { "title": "Canva, again" } })
        }
        "PublishActivity" => json!({ "id": app.create_activity(&admin, 5, json!({})).await }),
        "Activity" => json!({ "id": app.published_activity(&admin, 5, json!({})).await }),
        "CancelActivity" => {
            json!({ "id": app.published_activity(&admin, 5, json!({})).await, "reason": "Storm" })
        }
        "CompleteActivity" => json!({ "id": app.published_activity(&admin, 5, json!({})).await }),
        "RegisterForActivity" => {
            json!({ "activityId": app.published_activity(&admin, 5, json!({})).await })
        }
        "CancelRegistration" => {
            let id = app.published_activity(&admin, 5, json!({})).await;
            let id_of_activity = id.clone();
            // A trainer may not register: it tries to cancel somebody else's.
            let registered = app
                .op(
                    "RegisterForActivity",
                    json!({ "activityId": id }),
                    Some(token.unwrap_or(&admin)),
                )
                .await;
            let mut id = registered.body["data"]["registerForActivity"]["id"].clone();
            if id.is_null() {
                let (other, _) = app
                    .sign_up(&format!("holder{run}@example.fr"), "Holder")
                    .await;
                id = app.register(&id_of_activity, &other).await["id"].clone();
            }
            json!({ "id": id })
        }
        "RecordAttendance" => {
            let id = app.published_activity(&admin, 5, json!({})).await;
            let (partner, _) = app
                .sign_up(&format!("attendee{run}@example.fr"), "Attendee")
                .await;
            let registration = app.register(&id, &partner).await;
            json!({ "registrationId": registration["id"], "attended": true })
        }
        "Invite" => json!({ "input": { "emails": [format!("invitee{run}@example.fr")] } }),
        "RevokeInvitation" | "AcceptInvitation" => {
            let invited = app
                .op(
                    "Invite",
                    json!({ "input": { "emails": [format!("invitee{run}@example.fr")] } }),
                    Some(&admin),
                )
                .await;
            let id = invited.data()["invite"][0]["id"].clone();
            // The token only travels by mail: read it back from the outbox as the mail would.
            let token = crate::helpers::latest_invitation_token(app).await;
            json!({ "id": id, "token": token, "name": "Invitee", "password": crate::helpers::PASSWORD })
        }
        "ScheduleClubSeason" => {
            let first = app.state.now() + chrono::Duration::days(30);
            json!({ "input": { "title": "Club", "firstMeetingAt": first.to_rfc3339(), "durationMinutes": 90, "meetings": 2, "capacity": 20 } })
        }
        "AskClubQuestion" | "ClubMeeting" => {
            let meeting = app
                .published_activity(&admin, 5, json!({ "kind": "CLUB_MEETING" }))
                .await;
            json!({ "meetingId": meeting, "id": meeting, "text": "How?" })
        }
        "VoteClubQuestion" | "AnswerClubQuestion" => {
            let meeting = app
                .published_activity(&admin, 5, json!({ "kind": "CLUB_MEETING" }))
                .await;
            let asked = app
                .op(
                    "AskClubQuestion",
                    json!({ "meetingId": meeting, "text": "How?" }),
                    Some(&admin),
                )
                .await;
            json!({ "questionId": asked.data()["askClubQuestion"]["id"], "answer": "Like this." })
        }
        "CreateGroup" => json!({ "name": format!("Group {run}"), "audience": "CUSTOM" }),
        "AddGroupMember" => {
            let created = app
                .op(
                    "CreateGroup",
                    json!({ "name": format!("Group {run}"), "audience": "CUSTOM" }),
                    Some(&admin),
                )
                .await;
            let (_, user) = app
                .sign_up(&format!("member{run}@example.fr"), "Member")
                .await;
            json!({ "groupId": created.data()["createGroup"]["id"], "userId": user })
        }
        "SetGroupNotifications" => {
            json!({ "groupId": partners_club(app, &admin).await, "level": "EVERY_POST" })
        }
        "MessageRegistrants" => json!({
            "activityId": app.published_activity(&admin, 5, json!({})).await,
            "to": ["CONFIRMED"], "subject": "Bring your laptop", "body": "And your passwords.",
        }),
        "AddReminder" => json!({
            "activityId": app.published_activity(&admin, 5, json!({})).await,
            "anchor": "BEFORE_START", "offsetHours": 72, "to": ["CONFIRMED"],
        }),
        "RemoveReminder" => {
            let id = app.published_activity(&admin, 5, json!({})).await;
            let rules = app
                .op("ActivityFollowUp", json!({ "id": id }), Some(&admin))
                .await;
            json!({ "id": rules.data()["activity"]["reminders"][0]["id"] })
        }
        "SetSurvey" => json!({
            "activityId": app.published_activity(&admin, 5, json!({})).await,
            "questions": [{ "kind": "RATING", "text": "How was it?" }],
        }),
        "AnswerSurvey" => {
            // A trainer cannot attend: its answer is to a survey somebody else attended.
            let attendee = match token {
                Some(token) if !is_trainer(app, token).await => token,
                _ => &admin,
            };
            let (survey, question) = crate::followup::attended_survey(app, &admin, attendee).await;
            json!({ "surveyId": survey, "answers": [{ "questionId": question, "rating": 4 }] })
        }
        "ActivityFollowUp" => json!({ "id": app.published_activity(&admin, 5, json!({})).await }),
        "SurveyResultsShown" => {
            let id = app.published_activity(&admin, 5, json!({})).await;
            app.op(
                "SetSurvey",
                json!({ "activityId": id, "questions": [{ "kind": "RATING", "text": "How was it?" }], "anonymous": true }),
                Some(&admin),
            )
            .await
            .data();
            json!({ "id": id })
        }
        "CreateOrganisation" => {
            json!({ "input": { "name": format!("Hôtel {run}"), "sector": "ACCOMMODATION" } })
        }
        "SetTrainingProgramme" => json!({
            "activityId": app.published_activity(&admin, 5, json!({})).await,
            "input": crate::training::programme_input(),
        }),
        "ActivityProgramme" => json!({ "id": app.published_activity(&admin, 5, json!({})).await }),
        "AssignTrainer" => {
            let me = app.op("Me", json!({}), Some(&admin)).await;
            json!({
                "activityId": app.published_activity(&admin, 5, json!({})).await,
                "userId": me.data()["me"]["id"],
            })
        }
        "AttendanceSheet" | "TrainingFile" => {
            let id = app
                .published_activity(&admin, 5, json!({ "kind": "TRAINING" }))
                .await;
            if let Some(token) = token {
                delivers_if_it_may(app, &admin, &id, token).await;
            }
            json!({ "activityId": id, "id": id })
        }
        "OpenSignIn" | "SignAttendance" | "SignSheet" => {
            // The caller delivers it when it may (staff and trainers): partners cannot.
            // A half-day whose sign-in may open now.
            let start = app.state.now() + chrono::Duration::minutes(25);
            let sessions = json!([{ "startsAt": start.to_rfc3339(),
                                    "endsAt": (start + chrono::Duration::hours(2)).to_rfc3339() }]);
            let id = app
                .published_activity(
                    &admin,
                    0,
                    json!({ "kind": "TRAINING", "sessions": sessions }),
                )
                .await;
            let slot = crate::attendance::sheet(app, &id, &admin).await[0]["id"].clone();
            if let Some(token) = token {
                match operation {
                    "SignAttendance" => {
                        // Refused to a trainer, who then signs as no registrant.
                        app.op(
                            "RegisterForActivity",
                            json!({ "activityId": id }),
                            Some(token),
                        )
                        .await;
                    }
                    "SignSheet" | "OpenSignIn" => {
                        delivers_if_it_may(app, &admin, &id, token).await;
                    }
                    _ => {}
                }
            }
            let code = crate::attendance::open_sign_in(app, &slot, &admin).await;
            json!({ "slotId": slot, "code": code, "signature": crate::attendance::SIGNATURE })
        }
        "CorrectAttendance" => {
            let id = app
                .published_activity(&admin, 5, json!({ "kind": "TRAINING" }))
                .await;
            let (partner, _) = app
                .sign_up(&format!("trainee{run}@example.fr"), "Trainee")
                .await;
            let registration = app.register(&id, &partner).await;
            let slot = crate::attendance::sheet(app, &id, &admin).await[0]["id"].clone();
            json!({
                "slotId": slot, "registrationId": registration["id"],
                "presence": "EXCUSED", "reason": "Malade, certificat fourni",
            })
        }
        "RecordEvaluation" => {
            // A training whose only session started an hour ago, and a trainee placed in it by
            // hand (registration closes when a training starts).
            let start = app.state.now() - chrono::Duration::hours(1);
            let sessions = json!([{ "startsAt": start.to_rfc3339(),
                                    "endsAt": (start + chrono::Duration::hours(3)).to_rfc3339() }]);
            let id = app
                .published_activity(
                    &admin,
                    0,
                    json!({ "kind": "TRAINING", "sessions": sessions }),
                )
                .await;
            app.op(
                "SetTrainingProgramme",
                json!({ "activityId": id, "input": crate::training::programme_input() }),
                Some(&admin),
            )
            .await
            .data();
            if let Some(token) = token {
                delivers_if_it_may(app, &admin, &id, token).await;
            }
            let (_, trainee) = app
                .sign_up(&format!("evaluated{run}@example.fr"), "Evaluated")
                .await;
            let registration = placed_by_hand(app, &id, &trainee).await;
            json!({ "registrationId": registration, "results": [{ "objective": 0, "mastery": "ACQUIRED" }] })
        }
        "SetPositioning" | "Positioning" | "AnswerPositioning" => {
            let id = app
                .published_activity(&admin, 5, json!({ "kind": "TRAINING" }))
                .await;
            let questions = json!([{ "kind": "RATING", "text": "Votre aisance avec Instagram ?" }]);
            let set = app
                .op(
                    "SetPositioning",
                    json!({ "activityId": id, "questions": questions }),
                    Some(&admin),
                )
                .await;
            let positioning = &set.data()["setPositioning"];
            if let Some(token) = token {
                if operation == "AnswerPositioning" {
                    app.op(
                        "RegisterForActivity",
                        json!({ "activityId": id }),
                        Some(token),
                    )
                    .await;
                } else {
                    delivers_if_it_may(app, &admin, &id, token).await;
                }
            }
            json!({
                "activityId": id, "questions": questions, "positioningId": positioning["id"],
                "answers": [{ "questionId": positioning["questions"][0]["id"], "rating": 3 }],
            })
        }
        "SetColdSurvey" | "ColdSurvey" => {
            let id = app.published_activity(&admin, 5, json!({})).await;
            let cold = json!({
                "activityId": id, "id": id, "weeksAfter": 6,
                "questions": [{ "kind": "RATING", "text": "Utile dans votre travail ?" }],
            });
            if operation == "ColdSurvey" {
                app.op("SetColdSurvey", cold.clone(), Some(&admin))
                    .await
                    .data();
            }
            cold
        }
        "SetAdmission" => json!({
            "activityId": app.published_activity(&admin, 5, json!({})).await,
            "input": { "requiresApproval": true },
        }),
        "RegisterWithAnswers" => {
            json!({ "activityId": app.published_activity(&admin, 5, json!({})).await })
        }
        "PendingRegistrations" | "ActivityConsents" => {
            let id = app.published_activity(&admin, 5, json!({})).await;
            json!({ "activityId": id, "id": id })
        }
        "DecideRegistration" => {
            let id = app.published_activity(&admin, 5, json!({})).await;
            app.op(
                "SetAdmission",
                json!({ "activityId": id, "input": { "requiresApproval": true } }),
                Some(&admin),
            )
            .await
            .data();
            let (asker, _) = app
                .sign_up(&format!("asker{run}@example.fr"), "Asker")
                .await;
            json!({ "id": app.register(&id, &asker).await["id"], "approve": true })
        }
        "AnswerOffer" => {
            let id = app
                .published_activity(&admin, 5, json!({ "capacity": 1 }))
                .await;
            app.op(
                "SetAdmission",
                json!({ "activityId": id, "input": { "offerHours": 24 } }),
                Some(&admin),
            )
            .await
            .data();
            let (holder, _) = app
                .sign_up(&format!("holder{run}@example.fr"), "Holder")
                .await;
            let held = app.register(&id, &holder).await["id"].clone();
            // The caller waits, then is offered the seat the holder lets go.
            let (someone, _) = app
                .sign_up(&format!("waiting{run}@example.fr"), "Waiting")
                .await;
            let waiting = app
                .op(
                    "RegisterForActivity",
                    json!({ "activityId": id }),
                    Some(token.unwrap_or(&someone)),
                )
                .await;
            let offered = waiting
                .body
                .pointer("/data/registerForActivity/id")
                .cloned()
                .unwrap_or_else(|| json!("1"));
            app.op("CancelRegistration", json!({ "id": held }), Some(&holder))
                .await
                .data();
            json!({ "registrationId": offered, "accept": true })
        }
        "PublishConsentText" => {
            json!({ "purpose": "PRIVACY", "text": "Vos données servent au programme." })
        }
        "GiveConsent" | "WithdrawConsent" => {
            let published = app
                .op(
                    "PublishConsentText",
                    json!({ "purpose": "NEWSLETTER", "text": "La lettre du mois." }),
                    Some(&admin),
                )
                .await;
            json!({
                "textId": published.data()["publishConsentText"]["id"],
                "purpose": "NEWSLETTER",
            })
        }
        "CreateTopic" => json!({ "name": format!("Canva {run}"), "threshold": 5 }),
        "SharePhoto" => {
            let walk = app.published_activity(&admin, 5, json!({})).await;
            if let Some(token) = token {
                // Refused to a trainer: its row says what sharing then gives.
                app.op(
                    "RegisterForActivity",
                    json!({ "activityId": walk }),
                    Some(token),
                )
                .await;
            }
            json!({ "activityId": walk, "rights": { "uses": ["WEB"], "credit": "Klub" } })
        }
        "TagPeople" | "WithdrawPhoto" => {
            let walk = app.published_activity(&admin, 5, json!({})).await;
            let shared = app
                .upload(
                    "SharePhoto",
                    json!({ "activityId": walk, "rights": { "uses": ["WEB"], "credit": "Klub" } }),
                    ("walk.png", "image/png", crate::photos::png(4, 4)),
                    Some(&admin),
                )
                .await;
            let photo = shared.data()["sharePhoto"]["id"].clone();
            json!({ "photoId": photo, "userIds": [] })
        }
        "SetInterest" | "CreateActivityForTopic" => {
            let topic = app
                .op(
                    "CreateTopic",
                    json!({ "name": format!("Reels {run}"), "threshold": 5 }),
                    Some(&admin),
                )
                .await;
            let topic = topic.data()["createTopic"]["id"].clone();
            let start = app.state.now() + chrono::Duration::days(5);
            json!({
                "topicId": topic, "interested": true,
                "input": {
                    "kind": "WORKSHOP", "title": "Reels", "capacity": 10, "topicId": topic,
                    "priorityHours": 24,
                    "sessions": [{ "startsAt": start.to_rfc3339(),
                                   "endsAt": (start + chrono::Duration::hours(2)).to_rfc3339() }],
                },
            })
        }
        "FileComplaint" => {
            json!({ "subject": "Salle trop froide", "body": "Il faisait 15 degrés." })
        }
        "AnswerComplaint" => {
            let (author, _) = app
                .sign_up(&format!("unhappy{run}@example.fr"), "Unhappy")
                .await;
            let filed = app
                .op(
                    "FileComplaint",
                    json!({ "subject": "Salle trop froide", "body": "Il faisait 15 degrés." }),
                    Some(&author),
                )
                .await;
            json!({ "id": filed.data()["fileComplaint"]["id"], "answer": "Le chauffage est réparé." })
        }
        "TrainingYear" => json!({ "year": chrono::Datelike::year(&app.state.now()) }),
        "ImportPartners" => json!({
            "csv": format!("Courriel;Nom\nimport-{run}@example.fr;Ann {run}\n"),
            "dryRun": true,
        }),
        "AddOrganisationMember"
        | "Organisation"
        | "AdoptOrganisationMembers"
        | "RegisterColleague" => {
            let created = app
                .op(
                    "CreateOrganisation",
                    json!({ "input": { "name": format!("Ferme {run}"), "sector": "PRODUCER" } }),
                    Some(&admin),
                )
                .await;
            let organisation = created.data()["createOrganisation"]["id"].clone();
            let (_, member) = app
                .sign_up(&format!("colleague{run}@example.fr"), "Colleague")
                .await;
            json!({
                "organisationId": organisation, "id": organisation, "userId": member,
                "role": "MEMBER", "activityId": app.published_activity(&admin, 5, json!({})).await,
            })
        }
        "AnswerOrganisationInvitation" => {
            let (manager, _) = app
                .sign_up(&format!("manager{run}@example.fr"), "Manager")
                .await;
            let created = app
                .op(
                    "CreateOrganisation",
                    json!({ "input": { "name": format!("Gîte {run}"), "sector": "ACCOMMODATION" } }),
                    Some(&manager),
                )
                .await;
            let organisation = created.data()["createOrganisation"]["id"].clone();
            // The caller if it may be invited (out of the organisation it made earlier), else
            // a stranger.
            let caller = match token {
                Some(token) => {
                    app.op("LeaveOrganisation", json!({}), Some(token)).await;
                    Some(app.user_id(token).await)
                }
                None => None,
            };
            let invited = match caller {
                Some(caller) => app
                    .op(
                        "AddOrganisationMember",
                        json!({ "organisationId": organisation, "userId": caller, "role": "MEMBER" }),
                        Some(&manager),
                    )
                    .await
                    .error_code()
                    .is_none(),
                None => false,
            };
            if !invited {
                let (_, stranger) = app
                    .sign_up(&format!("stranger{run}@example.fr"), "Stranger")
                    .await;
                app.op(
                    "AddOrganisationMember",
                    json!({ "organisationId": organisation, "userId": stranger, "role": "MEMBER" }),
                    Some(&manager),
                )
                .await
                .data();
            }
            use sea_orm::{EntityTrait, QueryOrder};
            let invitation = entity::organisation_invitation::Entity::find()
                .order_by_desc(entity::organisation_invitation::Column::Id)
                .one(&app.state.db)
                .await
                .unwrap()
                .unwrap();
            json!({ "id": invitation.id.to_string(), "accept": false })
        }
        "LeaveOrganisation" => {
            if let Some(token) = token {
                let created = app
                    .op(
                        "CreateOrganisation",
                        json!({ "input": { "name": format!("Atelier {run}"), "sector": "SHOP" } }),
                        Some(&admin),
                    )
                    .await;
                let organisation = created.data()["createOrganisation"]["id"].clone();
                let caller = app.user_id(token).await;
                // Staff cannot be added: they have nothing to leave.
                app.op(
                    "AddOrganisationMember",
                    json!({ "organisationId": organisation, "userId": caller, "role": "MEMBER" }),
                    Some(&admin),
                )
                .await;
            }
            json!({})
        }
        "RecordPayment" => {
            let id = app.published_activity(&admin, 5, json!({})).await;
            let (payer, _) = app
                .sign_up(&format!("payer{run}@example.fr"), "Payer")
                .await;
            let registration = app.register(&id, &payer).await;
            json!({ "registrationId": registration["id"], "status": "PAID" })
        }
        "VerifyCertificate" => json!({ "number": "KLUB-0000-0000-0000-0000" }),
        "PublishDiagnostic" => json!({ "input": crate::progress::diagnostic_input("SNUT") }),
        "SubmitAssessment" | "TagActivity" => {
            let published = app
                .op(
                    "PublishDiagnostic",
                    json!({ "input": crate::progress::diagnostic_input("SNUT") }),
                    Some(&admin),
                )
                .await;
            let diagnostic = published.data()["publishDiagnostic"].clone();
            json!({
                "diagnosticId": diagnostic["id"],
                "answers": crate::progress::answers(&diagnostic, 1),
                "activityId": app.published_activity(&admin, 5, json!({})).await,
                "axisIds": [diagnostic["axes"][0]["id"]],
            })
        }
        "ProgrammeReport" => json!({
            "from": (app.state.now() - chrono::Duration::days(30)).to_rfc3339(),
            "to": app.state.now().to_rfc3339(),
        }),
        "SetMyLocale" => json!({ "locale": "EN" }),
        "ChangePassword" => {
            json!({ "currentPassword": crate::helpers::PASSWORD, "newPassword": crate::helpers::PASSWORD })
        }
        "DeleteMyAccount" => json!({ "password": crate::helpers::PASSWORD }),
        "RequestPasswordReset" => json!({ "email": format!("forgetful{run}@example.fr") }),
        "ResetPassword" => {
            let email = format!("forgetful{run}@example.fr");
            app.sign_up(&email, "Forgetful").await;
            app.op("RequestPasswordReset", json!({ "email": email }), None)
                .await
                .data();
            let token = crate::helpers::latest_mailed_token(app, "password_reset").await;
            json!({ "token": token, "password": crate::helpers::PASSWORD })
        }
        "VerifyEmail" => {
            // The caller's own link (every persona signed up), or a stranger's.
            let address = match token {
                Some(token) => {
                    let me = app.op("MyAddress", json!({}), Some(token)).await;
                    me.data()["me"]["email"].as_str().unwrap().to_owned()
                }
                None => {
                    let address = format!("proving{run}@example.fr");
                    app.sign_up(&address, "Proving").await;
                    address
                }
            };
            let token =
                crate::helpers::latest_mailed_token_to(app, "email_verification", &address).await;
            json!({ "token": token })
        }
        "EditPost" | "RemovePost" | "LockThread" | "ThreadAuthorEmails" => {
            let started = app
                .op("StartThread", json!({ "groupId": partners_club(app, &admin).await, "title": "Q", "body": "?" }), Some(&admin))
                .await;
            let thread = started.data()["startThread"]["id"].clone();
            let replied = app
                .op(
                    "Reply",
                    json!({ "threadId": thread, "body": "A" }),
                    Some(&admin),
                )
                .await;
            json!({ "id": thread, "threadId": thread, "postId": replied.data()["reply"]["id"], "body": "Edited" })
        }
        "GroupThreads" | "StartThread" => {
            json!({ "groupId": partners_club(app, &admin).await, "title": "Hello", "body": "Hi all", "isQuestion": true })
        }
        "Thread" | "Reply" | "AcceptAnswer" => {
            let started = app
                .op("StartThread", json!({ "groupId": partners_club(app, &admin).await, "title": "Q", "body": "?", "isQuestion": true }), token.or(Some(&admin)))
                .await;
            let thread = started.body["data"]["startThread"]["id"].clone();
            let thread = if thread.is_null() {
                // The caller may not post there: use a thread staff opened.
                app.op("StartThread", json!({ "groupId": partners_club(app, &admin).await, "title": "Q", "body": "?", "isQuestion": true }), Some(&admin))
                    .await
                    .data()["startThread"]["id"]
                    .clone()
            } else {
                thread
            };
            let replied = app
                .op(
                    "Reply",
                    json!({ "threadId": thread, "body": "A" }),
                    Some(&admin),
                )
                .await;
            json!({ "id": thread, "threadId": thread, "body": "Thanks", "postId": replied.data()["reply"]["id"] })
        }
        _ => json!({}),
    }
}

/// A confirmed registration of `user` to `activity`, written straight into the database.
async fn placed_by_hand(app: &TestApp, activity: &str, user: &str) -> String {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    let now = app.state.now();
    let row = entity::registration::ActiveModel {
        activity_id: Set(activity.parse().unwrap()),
        user_id: Set(user.parse().unwrap()),
        status: Set(entity::registration::Status::Confirmed),
        position: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&app.state.db)
    .await
    .unwrap();
    row.id.to_string()
}

/// Staff assign the caller to deliver `activity` (refused for partners, who cannot deliver).
async fn delivers_if_it_may(app: &TestApp, admin: &str, activity: &str, token: &str) {
    let caller = app.user_id(token).await;
    app.op(
        "AssignTrainer",
        json!({ "activityId": activity, "userId": caller }),
        Some(admin),
    )
    .await;
}

async fn is_trainer(app: &TestApp, token: &str) -> bool {
    app.op("Me", json!({}), Some(token)).await.data()["me"]["role"] == "TRAINER"
}

async fn partners_club(app: &TestApp, admin: &str) -> Value {
    let groups = app.op("Groups", json!({}), Some(admin)).await;
    groups.data()["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "Partners' club")
        .unwrap()["id"]
        .clone()
}

#[tokio::test]
async fn every_operation_is_authorised_for_every_kind_of_caller() {
    let app = spawn_app().await;
    let mut tokens = Vec::new();
    for persona in Persona::ALL {
        tokens.push((persona, app.persona(persona, "caller").await));
    }
    let mut run = 0;
    let mut failures = Vec::new();
    for (operation, outcomes) in TABLE {
        for ((persona, token), expected) in tokens.iter_mut().zip(*outcomes) {
            run += 1;
            let vars = variables(&app, operation, run, token.as_deref()).await;
            let answer = if *operation == "SharePhoto" {
                let file = ("walk.png", "image/png", crate::photos::png(4, 4));
                app.upload(operation, vars, file, token.as_deref()).await
            } else {
                app.op(operation, vars, token.as_deref()).await
            };
            let actual = match answer.error_code() {
                None => Allowed,
                Some(code) => Denied(match code {
                    "UNAUTHENTICATED" => "UNAUTHENTICATED",
                    "FORBIDDEN" => "FORBIDDEN",
                    "NOT_FOUND" => "NOT_FOUND",
                    _ => "OTHER",
                }),
            };
            if actual != expected {
                failures.push(format!(
                    "{} as {persona:?}: expected {expected:?}, got {:#}",
                    operation, answer.body
                ));
            }
            if ENDS_SESSIONS.contains(operation) && token.is_some() && actual == Allowed {
                let email = format!("caller-{}@klub.test", persona.slug());
                if *operation != "DeleteMyAccount" {
                    *token = Some(app.log_in(&email, crate::helpers::PASSWORD).await);
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The operation `name` of the documents, validated against the served schema.
fn operation<'d>(
    document: &'d ExecutableDocument,
    name: &str,
) -> &'d apollo_compiler::executable::Operation {
    document
        .operations
        .get(Some(name))
        .unwrap_or_else(|_| panic!("no operation {name}"))
}

/// Every (type, field) a selection set reaches.
fn selected_fields(set: &SelectionSet, into: &mut BTreeSet<(String, String)>) {
    for selection in &set.selections {
        match selection {
            Selection::Field(field) => {
                into.insert((set.ty.to_string(), field.name.to_string()));
                selected_fields(&field.selection_set, into);
            }
            Selection::InlineFragment(inline) => selected_fields(&inline.selection_set, into),
            Selection::FragmentSpread(_) => {}
        }
    }
}

#[test]
fn the_table_covers_the_whole_schema() {
    let schema = Schema::parse_and_validate(api::graphql::sdl(), "schema.graphql").unwrap();
    let documents: Vec<ExecutableDocument> = operation_documents()
        .iter()
        .map(|path| {
            let source = std::fs::read_to_string(path).unwrap();
            ExecutableDocument::parse_and_validate(&schema, source, path)
                .unwrap()
                .into_inner()
        })
        .collect();
    let document_of = |name: &str| {
        documents
            .iter()
            .find(|document| document.operations.get(Some(name)).is_ok())
            .unwrap_or_else(|| panic!("no document defines {name}"))
    };
    // What the table's operations select, and what the partner columns are denied.
    let mut covered = BTreeSet::new();
    let mut denied_to_partners = BTreeSet::new();
    for (name, outcomes) in TABLE {
        let mut fields = BTreeSet::new();
        selected_fields(
            &operation(document_of(name), name).selection_set,
            &mut fields,
        );
        if outcomes[1] != Allowed && outcomes[2] != Allowed {
            denied_to_partners.extend(fields.iter().cloned());
        }
        covered.extend(fields);
    }
    for name in OVER_WEBSOCKET {
        selected_fields(
            &operation(document_of(name), name).selection_set,
            &mut covered,
        );
    }

    let mut missing = Vec::new();
    for (type_name, definition) in &schema.types {
        let ExtendedType::Object(object) = definition else {
            continue;
        };
        let is_root = ["Query", "Mutation", "Subscription"].contains(&type_name.as_str());
        for (field_name, field) in &object.fields {
            let key = (type_name.to_string(), field_name.to_string());
            let staff_only = field.description.as_ref().is_some_and(|description| {
                let description = description.to_lowercase();
                description.contains("staff only") || description.contains("admin only")
            });
            if is_root && !covered.contains(&key) {
                missing.push(format!(
                    "{type_name}.{field_name}: no operation in the table"
                ));
            } else if !is_root && staff_only && !denied_to_partners.contains(&key) {
                missing.push(format!(
                    "{type_name}.{field_name}: staff only, but no row shows partners denied it"
                ));
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn every_operation_has_a_row() {
    for path in operation_documents() {
        let source = std::fs::read_to_string(path).unwrap();
        for line in source.lines() {
            let Some(rest) = ["query ", "mutation ", "subscription "]
                .iter()
                .find_map(|kind| line.strip_prefix(kind))
            else {
                continue;
            };
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric()).collect();
            assert!(
                TABLE.iter().any(|(operation, _)| *operation == name)
                    || OVER_WEBSOCKET.contains(&name.as_str()),
                "{name} has no row in the authorization table"
            );
        }
    }
}
