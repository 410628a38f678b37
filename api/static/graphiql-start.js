// GraphiQL from local assets (the page's Content-Security-Policy allows scripts from
// this origin only). Mutations and subscriptions need a token: set it in the headers tab.
"use strict";
const fetcher = GraphiQL.createFetcher({
  url: "/graphql",
  subscriptionUrl: `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/graphql`,
});
ReactDOM.createRoot(document.getElementById("graphiql")).render(
  React.createElement(GraphiQL, {
    fetcher,
    defaultHeaders: '{"Authorization": "Bearer dev-viewer"}',
  }),
);
