// Starts GraphiQL on Klub's own endpoint, its documentation explorer open: a developer's first
// visit lands on the schema's described types. A file, not an inline script, so the page's
// Content-Security-Policy can forbid inline scripts.
(function () {
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  var fetcher = GraphiQL.createFetcher({ url: '/graphql' });
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      visiblePlugin: 'Documentation Explorer',
    })
  );
})();
