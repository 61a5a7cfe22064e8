"""VADER as a whole process, the peer `engine-vs-vader` measures against: JSON Lines of
{"id", "text"} on stdin, one line of VADER's scores with the id on stdout, in order."""
import json
import sys

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

analyzer = SentimentIntensityAnalyzer()
write = sys.stdout.write
for line in sys.stdin:
    if not line.strip():
        continue
    request = json.loads(line)
    scores = analyzer.polarity_scores(request["text"])
    scores["id"] = request.get("id")
    write(json.dumps(scores))
    write("\n")
