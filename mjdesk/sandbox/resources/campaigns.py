"""Drafts (``/campaigndraft`` with content, test, schedule, send, status), templates, campaigns."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from mjdesk.sandbox.protocol import (
    Fields,
    JsonObject,
    Reply,
    bad_request,
    created,
    no_content,
    not_found,
    not_modified,
    ok,
    page,
    value_as_bool,
    value_as_int,
)
from mjdesk.sandbox.resources.lists import subscriber_count, valid_email
from mjdesk.sandbox.resources.outcomes import campaign_sent
from mjdesk.sandbox.routing import Call, Route
from mjdesk.sandbox.store import (
    Account,
    Campaign,
    Content,
    Draft,
    SentTest,
    Template,
    rfc3339,
)

STATUS_NAMES = {
    -3: "AXCanceled",
    -2: "Deleted",
    -1: "Archived",
    0: "Draft",
    1: "Programmed",
    2: "Sent",
    3: "AXTested",
    4: "AXSelected",
}
_UNSUB_LINK = re.compile(r"\[\[UNSUB_LINK_[A-Z]{2,}\]\]")


def content_json(content: Content) -> JsonObject:
    """``detailcontent``'s form."""
    return {
        "Html-part": content.html,
        "Text-part": content.text,
        "MJMLContent": content.mjml,
        "Headers": content.headers,
    }


def _write_content(call: Call, content: Content) -> Reply:
    fields = call.fields
    replace = call.method == "POST"  # POST replaces both parts; PUT keeps the omitted one
    before = content_json(content)
    # Every value is read (and refused) before any is written: a 400 changes nothing.
    after = dict(before)
    if replace or fields.has("Html-part"):
        after["Html-part"] = fields.text("Html-part")
    if replace or fields.has("Text-part"):
        after["Text-part"] = fields.text("Text-part")
    if fields.has("MJMLContent"):
        after["MJMLContent"] = fields.text("MJMLContent")  # does not regenerate Html-part
    if fields.has("Headers"):
        after["Headers"] = fields.sub("Headers").raw
    content.html, content.text = after["Html-part"], after["Text-part"]
    content.mjml, content.headers = after["MJMLContent"], after["Headers"]
    if call.method == "PUT" and after == before:
        return not_modified()
    return (created if replace else ok)(after)


def draft_json(draft: Draft) -> JsonObject:
    """A draft as ``/campaigndraft`` shows it."""
    return {
        "ID": draft.id,
        "CampaignID": draft.campaign_id,
        "ContactsListID": draft.list_id,
        "CreatedAt": draft.created_at,
        "DeliveredAt": draft.delivered_at,
        "EditMode": draft.edit_mode,
        "Locale": draft.locale,
        "ModifiedAt": draft.modified_at,
        "ReplyEmail": draft.reply_email,
        "SegmentationID": draft.segmentation_id,
        "Sender": draft.sender,
        "SenderEmail": draft.sender_email,
        "SenderName": draft.sender_name,
        "Status": draft.status,
        "Subject": draft.subject,
        "TemplateID": draft.template_id,
        "Title": draft.title,
        "Url": "",
        "Used": draft.used,
    }


def _find_draft(call: Call) -> Draft:
    key = call.arg("id")
    draft = call.account.drafts.get(int(key)) if key.isdigit() else None
    if draft is None or draft.status == -2:
        raise not_found()
    return draft


def _drafts(call: Call) -> Reply:
    status = call.params.get_int("Status")
    rows = [
        draft_json(d)
        for d in call.account.drafts.values()
        if d.status != -2 and (status is None or d.status == status)
    ]
    return page(rows, call.params)


def _get_draft(call: Call) -> Reply:
    return ok(draft_json(_find_draft(call)))


_DRAFT_FIELDS = {
    "Locale": "locale",
    "Sender": "sender",
    "SenderEmail": "sender_email",
    "Subject": "subject",
    "Title": "title",
    "SenderName": "sender_name",
    "ReplyEmail": "reply_email",
    "EditMode": "edit_mode",
}


def _create_draft(call: Call) -> Reply:
    fields = call.fields
    required = {n: fields.required_text(n) for n in ("Locale", "Sender", "SenderEmail", "Subject")}
    list_id = value_as_int(fields.get("ContactsListID"), "ContactsListID")
    if call.account.lists.get(list_id) is None:
        raise bad_request(f'Invalid ContactsListID "{list_id}"')
    stamp = call.store.stamp()
    draft = Draft(
        call.account.new_id(),
        required["Locale"],
        required["Sender"],
        required["SenderEmail"],
        required["Subject"],
        list_id,
        title=fields.text("Title"),
        sender_name=fields.text("SenderName"),
        reply_email=fields.text("ReplyEmail"),
        template_id=value_as_int(fields.get("TemplateID") or 0, "TemplateID"),
        edit_mode=fields.text("EditMode", "html2"),
        created_at=stamp,
        modified_at=stamp,
    )
    call.account.drafts[draft.id] = draft
    return created(draft_json(draft))


def _update_draft(call: Call) -> Reply:
    draft = _find_draft(call)
    fields = call.fields
    changed = False
    for api_name, attribute in _DRAFT_FIELDS.items():
        if fields.has(api_name):
            value = fields.text(api_name)
            changed |= getattr(draft, attribute) != value
            setattr(draft, attribute, value)
    if fields.has("ContactsListID"):
        list_id = value_as_int(fields.get("ContactsListID"), "ContactsListID")
        if call.account.lists.get(list_id) is None:
            raise bad_request(f'Invalid ContactsListID "{list_id}"')
        changed |= list_id != draft.list_id
        draft.list_id = list_id
    if not changed:
        return not_modified()
    draft.modified_at = call.store.stamp()
    return ok(draft_json(draft))


def _draft_content(call: Call) -> Reply:
    return ok(content_json(_find_draft(call).content))


def _write_draft_content(call: Call) -> Reply:
    return _write_content(call, _find_draft(call).content)


def readiness_problems(call: Call, draft: Draft) -> list[str]:
    """Why a draft cannot be tested, scheduled or sent (Mailjet's checks, G)."""
    problems = []
    if not valid_email(draft.sender_email) or not call.account.sender_is_active(draft.sender_email):
        # Mailjet's exact wording is UNCONFIRMED; a user report quotes "specify a valid and
        # active sender" for a test refused this way.
        problems.append("SenderEmail is not an active sender")
    if not draft.sender.strip():
        problems.append("Sender is empty")
    if not draft.subject.strip():
        problems.append("Subject is empty")
    if draft.status not in (0, 1):
        problems.append("The campaign is not a draft or programmed")
    if not (draft.content.html.strip() or draft.content.text.strip()):
        problems.append("There is no Text-part or Html-part")
    if subscriber_count(call.account, draft.list_id) <= 1:
        problems.append("The list needs more than one active subscribed recipient")
    if call.store.options.require_unsub_link and not (
        _UNSUB_LINK.search(draft.content.html) or _UNSUB_LINK.search(draft.content.text)
    ):
        problems.append("There is no unsubscribe link ([[UNSUB_LINK_EN]])")
    return problems


def _check_ready(call: Call, draft: Draft) -> None:
    problems = readiness_problems(call, draft)
    if problems:
        raise bad_request(problems[0], {"Problems": problems})


def _test(call: Call) -> Reply:
    draft = _find_draft(call)
    recipients = call.fields.items("Recipients")
    if not recipients or any(not valid_email(r.text("Email")) for r in recipients):
        raise bad_request("Recipients must list valid Email addresses")
    _check_ready(call, draft)
    call.account.test_sends.append(
        SentTest(
            draft.id,
            [r.text("Email") for r in recipients],
            draft.subject,
            draft.sender_email,
            draft.content.html,
            draft.content.text,
            call.store.stamp(),
        )
    )
    return created({"Status": "Test"})


def _parse_date(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise bad_request(f'Invalid Date "{text}"') from None
    # The guide's own example has no offset ("2018-01-01T00:00:00"): read it as UTC
    # (UNCONFIRMED: Mailjet may use the account's time zone).
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _schedule(call: Call) -> Reply:
    """Programme the draft; it is sent when the sandbox clock reaches the date (``settle``),
    and ``NOW`` is due at once, so it has gone before the reply leaves."""
    draft = _find_draft(call)
    raw = call.fields.required_text("Date")
    now = raw.upper() == "NOW"
    when = call.store.now() if now else _parse_date(raw)
    _check_ready(call, draft)
    if not now and when <= call.store.now():
        raise bad_request("The Date must be in the future")
    draft.status = 1
    draft.scheduled_at = rfc3339(when)
    return created({"Date": draft.scheduled_at, "Status": "Programmed"})


def _get_schedule(call: Call) -> Reply:
    draft = _find_draft(call)
    if draft.status != 1:
        raise not_found()
    return ok({"Date": draft.scheduled_at, "Status": "Programmed"})


def _unschedule(call: Call) -> Reply:
    draft = _find_draft(call)
    if draft.status != 1:
        raise bad_request("The campaign is not programmed")
    draft.status = 0
    draft.scheduled_at = ""
    return no_content()


def send_draft(account: Account, draft: Draft, stamp: str) -> Campaign:
    """Turn a draft into a sent campaign (``/campaign`` with ``CustomValue`` ``mj.nl=<id>``)."""
    campaign = Campaign(
        account.new_id(),
        draft.subject,
        draft.sender_email,
        draft.sender_name or draft.sender,
        draft.list_id,
        draft.id,
        send_start_at=stamp,
        send_end_at=stamp,
        custom_value=f"mj.nl={draft.id}",
        created_at=stamp,
    )
    account.campaigns[campaign.id] = campaign
    draft.campaign_id = campaign.id
    draft.status = 2
    draft.delivered_at = stamp
    draft.scheduled_at = ""
    draft.used = True
    # its statistics, over the minutes after it was sent
    campaign_sent(account, campaign, datetime.fromisoformat(stamp.replace("Z", "+00:00")))
    return campaign


def settle_drafts(account: Account, now: datetime) -> None:
    """Send every programmed draft whose date has come on the sandbox clock."""
    for draft in account.drafts.values():
        if draft.status == 1 and draft.scheduled_at and _parse_date(draft.scheduled_at) <= now:
            send_draft(account, draft, draft.scheduled_at)


def _send(call: Call) -> Reply:
    """Send at once: Mailjet answers ``Programmed`` (the campaign is queued), and the draft
    reads ``Sent`` from the next request on."""
    draft = _find_draft(call)
    _check_ready(call, draft)
    draft.status = 1
    draft.scheduled_at = call.store.stamp()
    return created({"Status": "Programmed"})


def _status(call: Call) -> Reply:
    draft = _find_draft(call)
    return ok({"Status": STATUS_NAMES.get(draft.status, str(draft.status))})


def template_json(template: Template) -> JsonObject:
    """A template as ``/template`` shows it."""
    return {
        "ID": template.id,
        "Name": template.name,
        "Author": template.author,
        "Description": template.description,
        "EditMode": template.edit_mode,
        "Locale": template.locale,
        "Purposes": template.purposes,
        "OwnerType": template.owner_type,
        "CreatedAt": template.created_at,
        "IsStarred": False,
    }


def _find_template(call: Call) -> Template:
    key = call.arg("id")
    template = call.account.templates.get(int(key)) if key.isdigit() else None
    if template is None:
        raise not_found()
    return template


def _templates(call: Call) -> Reply:
    return page([template_json(t) for t in call.account.templates.values()], call.params)


def _get_template(call: Call) -> Reply:
    return ok(template_json(_find_template(call)))


def _template_fields(fields: Fields, template: Template) -> bool:
    changed = False
    for api_name, attribute in (
        ("Name", "name"),
        ("Author", "author"),
        ("Description", "description"),
        ("Locale", "locale"),
        ("OwnerType", "owner_type"),
    ):
        if fields.has(api_name):
            value = fields.text(api_name)
            changed |= getattr(template, attribute) != value
            setattr(template, attribute, value)
    if fields.has("EditMode"):
        mode = value_as_int(fields.get("EditMode"), "EditMode")
        if mode not in (1, 2, 3, 4):
            raise bad_request(f'Invalid EditMode "{mode}"')
        changed |= mode != template.edit_mode
        template.edit_mode = mode
    if fields.has("Purposes"):
        purposes = [str(p) for p in fields.get("Purposes") or []]
        if any(p not in ("marketing", "transactional", "automation") for p in purposes):
            raise bad_request("Invalid Purposes")
        changed |= purposes != template.purposes
        template.purposes = purposes
    return changed


def _create_template(call: Call) -> Reply:
    name = call.fields.required_text("Name")
    if any(t.name == name for t in call.account.templates.values()):
        raise bad_request(f'A template named "{name}" already exists')
    template = Template(call.account.new_id(), name, created_at=call.store.stamp())
    _template_fields(call.fields, template)
    call.account.templates[template.id] = template
    return created(template_json(template))


def _update_template(call: Call) -> Reply:
    template = _find_template(call)
    if not _template_fields(call.fields, template):
        return not_modified()
    return ok(template_json(template))


def _delete_template(call: Call) -> Reply:
    del call.account.templates[_find_template(call).id]
    return no_content()


def _template_content(call: Call) -> Reply:
    return ok(content_json(_find_template(call).content))


def _write_template_content(call: Call) -> Reply:
    return _write_content(call, _find_template(call).content)


def campaign_json(campaign: Campaign) -> JsonObject:
    """A campaign as ``/campaign`` shows it."""
    return {
        "ID": campaign.id,
        "Subject": campaign.subject,
        "FromEmail": campaign.from_email,
        "FromName": campaign.from_name,
        "SendStartAt": campaign.send_start_at,
        "SendEndAt": campaign.send_end_at,
        "Status": campaign.status,
        "ListID": campaign.list_id,
        "NewsLetterID": campaign.newsletter_id,
        "CampaignType": campaign.campaign_type,
        "CustomValue": campaign.custom_value,
        "CreatedAt": campaign.created_at,
        "IsDeleted": campaign.is_deleted,
        "IsStarred": campaign.is_starred,
    }


def unix(text: str) -> int:
    """An RFC 3339 stamp as Unix seconds (0 when empty)."""
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()) if text else 0


def _campaigns(call: Call) -> Reply:
    params = call.params
    start, end = params.get_int("FromTS"), params.get_int("ToTS")
    list_id = params.get_int("ContactsList")
    rows = []
    for campaign in call.account.campaigns.values():
        moment = unix(campaign.send_start_at)
        if (start is not None and moment < start) or (end is not None and moment > end):
            continue
        if list_id is not None and campaign.list_id != list_id:
            continue
        rows.append(campaign_json(campaign))
    return page(rows, params)


def _find_campaign(call: Call) -> Campaign:
    key = call.arg("id")
    for campaign in call.account.campaigns.values():
        if str(campaign.id) == key or campaign.custom_value == key:
            return campaign
    raise not_found()


def _get_campaign(call: Call) -> Reply:
    return ok(campaign_json(_find_campaign(call)))


def _update_campaign(call: Call) -> Reply:
    campaign = _find_campaign(call)
    fields = call.fields
    changed = False
    for api_name in fields.raw:
        if api_name.lower() not in ("isstarred", "isdeleted"):
            raise bad_request(f'Property "{api_name}" cannot be changed')
    if fields.has("IsStarred"):
        starred = value_as_bool(fields.get("IsStarred"), "IsStarred")
        changed |= starred != campaign.is_starred
        campaign.is_starred = starred
    if fields.has("IsDeleted"):
        deleted = value_as_bool(fields.get("IsDeleted"), "IsDeleted")
        changed |= deleted != campaign.is_deleted
        campaign.is_deleted = deleted
    return ok(campaign_json(campaign)) if changed else not_modified()


ROUTES = [
    Route("GET", "v3/REST/campaigndraft", _drafts),
    Route("POST", "v3/REST/campaigndraft", _create_draft),
    Route("GET", "v3/REST/campaigndraft/{id}", _get_draft),
    Route("PUT", "v3/REST/campaigndraft/{id}", _update_draft),
    Route("GET", "v3/REST/campaigndraft/{id}/detailcontent", _draft_content),
    Route("POST", "v3/REST/campaigndraft/{id}/detailcontent", _write_draft_content),
    Route("PUT", "v3/REST/campaigndraft/{id}/detailcontent", _write_draft_content),
    Route("POST", "v3/REST/campaigndraft/{id}/test", _test),
    Route("GET", "v3/REST/campaigndraft/{id}/schedule", _get_schedule),
    Route("POST", "v3/REST/campaigndraft/{id}/schedule", _schedule),
    Route("DELETE", "v3/REST/campaigndraft/{id}/schedule", _unschedule),
    Route("POST", "v3/REST/campaigndraft/{id}/send", _send),
    Route("GET", "v3/REST/campaigndraft/{id}/status", _status),
    Route("GET", "v3/REST/template", _templates),
    Route("POST", "v3/REST/template", _create_template),
    Route("GET", "v3/REST/template/{id}", _get_template),
    Route("PUT", "v3/REST/template/{id}", _update_template),
    Route("DELETE", "v3/REST/template/{id}", _delete_template),
    Route("GET", "v3/REST/template/{id}/detailcontent", _template_content),
    Route("POST", "v3/REST/template/{id}/detailcontent", _write_template_content),
    Route("PUT", "v3/REST/template/{id}/detailcontent", _write_template_content),
    Route("GET", "v3/REST/campaign", _campaigns),
    Route("GET", "v3/REST/campaign/{id}", _get_campaign),
    Route("PUT", "v3/REST/campaign/{id}", _update_campaign),
]
