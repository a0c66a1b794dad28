"""Render canonical sample traces into each public trace format (one file per format).

One module per format family; :data:`WRITERS` maps each format to its file and writer.

Where each format carries the segment (so loaders can map it to the ``segment`` column):

- ``openai_chat.jsonl``: ``request.metadata.segment``
- ``otel_genai.json``: attribute ``app.segment`` on the root ``invoke_agent`` span
- ``openinference.json``: root AGENT span attribute ``metadata`` (JSON string) -> ``segment``
- ``langfuse.json``: ``trace.metadata.segment`` (also the first entry of ``trace.tags``)
- ``langsmith.jsonl``: root run ``extra.metadata.segment``
- ``support.csv``: the ``segment`` column
"""

from evalkit.sample_data._writers._langfuse import langfuse
from evalkit.sample_data._writers._langsmith import langsmith
from evalkit.sample_data._writers._openai import openai_chat
from evalkit.sample_data._writers._otlp import openinference, otel_genai
from evalkit.sample_data._writers._support_csv import support_csv

#: Trace format -> (file name under ``traces/``, writer). Writers take the traces of their format
#: and a generator, and return the file's text.
WRITERS = {
    "openai_chat": ("openai_chat.jsonl", openai_chat),
    "otel_genai": ("otel_genai.json", otel_genai),
    "openinference": ("openinference.json", openinference),
    "langfuse": ("langfuse.json", langfuse),
    "langsmith": ("langsmith.jsonl", langsmith),
    "support_csv": ("support.csv", support_csv),
}
