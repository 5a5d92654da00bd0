import json, sys, websocket
from websocket import ABNF
ws = websocket.create_connection(sys.argv[1], timeout=10)
def recv():
    return json.loads(ws.recv())
ws.send(json.dumps({'type': 'subscribe', 'channel': 'py.*'}))
m = recv(); assert m['type'] == 'subscription_confirmed' and m['channel'] == 'py.*', m
data = {'x': [1, 2.5, None, True], 's': 'h\u00e9llo \u2603'}
ws.send(json.dumps({'type': 'publish', 'channel': 'py.test', 'data': data}))
m = recv(); assert m['type'] == 'channel_message' and m['data'] == data, m
ws.send_frame(ABNF.create_frame('{"type":', ABNF.OPCODE_TEXT, 0))
ws.send_frame(ABNF.create_frame('"ping"}', ABNF.OPCODE_CONT, 1))
m = recv(); assert m['type'] == 'pong' and m['timestamp'].endswith('+00:00'), m
ws.ping('abc')
op, f = ws.recv_data_frame(True)
assert op == ABNF.OPCODE_PONG and f.data == b'abc', (op, f.data)
ws.send_binary(b'\x00\x01')
m = recv(); assert m['type'] == 'error' and m['code'] == 'UNSUPPORTED_FRAME', m
ws.send(json.dumps({'type': 'stream_query', 'query': 'SELECT id FROM t ORDER BY id',
                    'batch_size': 7}))
m = recv(); assert m['type'] == 'query_started', m
ids = []
while True:
    m = recv()
    if m['type'] == 'query_completed':
        break
    assert m['type'] == 'query_batch', m
    ids += [r['id'] for r in m['rows']]
assert ids == list(range(1, 31)) and m['total_rows'] == 30, (ids, m)
ws.send_close(1000, b'bye')
f = ws.recv_frame()
assert f.opcode == ABNF.OPCODE_CLOSE and f.data[:2] == b'\x03\xe8', f.data
ws.shutdown()
print('OK')
