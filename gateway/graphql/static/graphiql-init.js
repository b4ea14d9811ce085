// Mounts GraphiQL on #graphiql; the endpoint comes from the page (data-endpoint).
(function () {
  var element = document.getElementById("graphiql");
  var fetcher = GraphiQL.createFetcher({ url: element.getAttribute("data-endpoint") });
  ReactDOM.createRoot(element).render(
    React.createElement(GraphiQL, { fetcher: fetcher, defaultEditorToolsVisibility: true })
  );
})();
