"""Section prompts become placeholders: existing postmortems lose the untouched prompts
that the first drafts stored as text.

A data migration rather than comparing with the prompts at every read: the prompts are
admin-editable (SectionTemplate), so a comparison would have to remember every prompt a
postmortem was ever drafted with, and every reader (the editor, the API, the export, the
checker, publishing's empty-section check, chat) would have to apply it. Done once here,
the stored text means what it says. A section whose text is exactly a prompt becomes empty;
a prompt the draft appended after real text (the summary after the incident's summary,
the timeline after the generated one) is cut off. The version is not bumped: nothing a
person wrote changes, and an editor open during the upgrade saves on as before. Revisions
keep their history untouched."""

from __future__ import annotations

from django.db import migrations, models

# The prompts the first drafts stored (incidents/postmortems/draft.py before this change),
# frozen here: the migration must not follow later edits of the code.
OLD_PROMPTS = {
    "summary": "_What happened, in two or three sentences, for someone who was not there._",
    "impact": "_Who was affected, how, and for how long. Numbers where we have them._",
    "factors": (
        "_The conditions that made this possible or worse: systems, processes, tools, "
        "signals. Record each as a contributing factor below; no one person is a cause._"
    ),
    "went_well": "_What helped: tools, habits, people working together._",
    "difficult": "_What made the response hard: missing signals, unclear runbooks, access._",
    "lucky": "_What could have made this worse, and did not, by luck rather than design._",
    "actions": "_Listed as action items below, each with an owner and a due date._",
    "lessons": "_What we understand now that we did not before._",
}


def without_prompt(text: str, prompts: list[str]) -> str:
    stripped = text.rstrip()
    for prompt in prompts:
        prompt = prompt.strip()
        if not prompt:
            continue
        if stripped == prompt:
            return ""
        if stripped.endswith(prompt) and stripped[: -len(prompt)].endswith("\n"):
            return stripped[: -len(prompt)].rstrip()
    return text


def clear(sections: dict, prompts: dict[str, list[str]]) -> dict:
    return {
        key: without_prompt(text, prompts.get(key, [])) if isinstance(text, str) else text
        for key, text in sections.items()
    }


def forwards(apps, schema_editor):
    SectionTemplate = apps.get_model("postmortems", "SectionTemplate")
    Postmortem = apps.get_model("postmortems", "Postmortem")
    prompts: dict[str, list[str]] = {key: [text] for key, text in OLD_PROMPTS.items()}
    for section, text in SectionTemplate.objects.values_list("section", "text"):
        prompts.setdefault(section, []).append(text)
    for postmortem in Postmortem.objects.iterator():
        sections = clear(postmortem.sections or {}, prompts)
        published = clear(postmortem.published_sections or {}, prompts)
        if sections != postmortem.sections or published != postmortem.published_sections:
            Postmortem.objects.filter(pk=postmortem.pk).update(
                sections=sections, published_sections=published
            )


class Migration(migrations.Migration):
    dependencies = [
        ("postmortems", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="sectiontemplate",
            name="text",
            field=models.TextField(
                blank=True,
                help_text="The hint shown in the empty section (plain text); blank for the default.",
                max_length=50000,
            ),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
