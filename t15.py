import json
from gradio_client import Client, handle_file
c = Client("http://127.0.0.1:7872/", verbose=False)
print(json.loads(c.predict("Who is the garden's treasurer?", 5, api_name="/ask")[3])["short_answer"])
print(c.predict([handle_file("/tmp/audit-ui/up/a/museum.txt")], api_name="/add"))
j = json.loads(c.predict("Who is the garden's treasurer?", 5, api_name="/ask")[3]); print(j["answer"], j["abstain_reason"])
