// A small client of the graphql-transport-ws protocol (the one Strawberry serves on
// /graphql): connection_init -> connection_ack, subscribe -> next* -> complete, ping/pong.
"use strict";
// Subscriptions need a token: it travels in connection_init's payload.
function gqlSubscribe(url, query, variables, handlers, token) {
  const ws = new WebSocket(url, "graphql-transport-ws");
  let id = 0;
  ws.onopen = () => ws.send(JSON.stringify({ type: "connection_init", payload: token ? { token } : {} }));
  ws.onmessage = (event) => {
    const msg = JSON.parse(event.data);
    if (msg.type === "connection_ack") {
      id += 1;
      ws.send(JSON.stringify({ id: String(id), type: "subscribe", payload: { query, variables } }));
      if (handlers.open) handlers.open();
    } else if (msg.type === "ping") {
      ws.send(JSON.stringify({ type: "pong" }));
    } else if (msg.type === "next") {
      if (msg.payload && msg.payload.errors) handlers.error(msg.payload.errors);
      else handlers.next(msg.payload.data);
    } else if (msg.type === "error") {
      handlers.error(msg.payload);
    } else if (msg.type === "complete") {
      ws.close();
    }
  };
  ws.onclose = () => { if (handlers.close) handlers.close(); };
  ws.onerror = () => { /* onclose follows */ };
  return ws;
}
