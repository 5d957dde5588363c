// The gateway's GraphiQL page: every script and stylesheet comes from this server (no CDN).
// In the demo, demo/personas.json (served by the demo only) names the personas with fresh
// tokens and the example query; a picker above the IDE sets the Authorization header.
(function () {
  "use strict";
  var endpoint = window.location.pathname; // the page is served by the GraphQL endpoint
  var base = endpoint.replace(/[^/]*$/, "");
  var fetcher = GraphiQL.createFetcher({ url: endpoint });
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));

  function headersFor(persona) {
    return persona ? JSON.stringify({ Authorization: "Bearer " + persona.token }, null, 2) : "";
  }

  function render(props) {
    root.render(
      React.createElement(
        GraphiQL,
        Object.assign({ fetcher: fetcher, defaultEditorToolsVisibility: true }, props)
      )
    );
  }

  function personaBar(demo, onPick) {
    var bar = document.getElementById("persona-bar");
    var label = document.createElement("label");
    label.textContent = "Persona ";
    var select = document.createElement("select");
    select.id = "persona";
    var none = document.createElement("option");
    none.value = "";
    none.textContent = "anonymous (no token)";
    select.appendChild(none);
    demo.personas.forEach(function (persona) {
      var option = document.createElement("option");
      option.value = persona.name;
      option.textContent = persona.name;
      select.appendChild(option);
    });
    var who = document.createElement("span");
    who.className = "who";
    label.appendChild(select);
    bar.appendChild(label);
    bar.appendChild(who);
    var home = document.createElement("a");
    home.href = base;
    home.textContent = "demo home";
    bar.appendChild(home);
    select.addEventListener("change", function () {
      var persona = demo.personas.find(function (p) { return p.name === select.value; });
      who.textContent = persona ? persona.description : "";
      onPick(persona);
    });
    bar.hidden = false;
    return select;
  }

  fetch(base + "demo/personas.json", { headers: { Accept: "application/json" } })
    .then(function (response) { return response.ok ? response.json() : null; })
    .catch(function () { return null; })
    .then(function (demo) {
      if (!demo) {
        render({});
        return;
      }
      var props = {
        query: demo.query,
        variables: JSON.stringify(demo.variables, null, 2),
        shouldPersistHeaders: false,
      };
      var select = personaBar(demo, function (persona) {
        props = Object.assign({}, props, { headers: headersFor(persona) });
        render(props);
      });
      var first = demo.personas.find(function (p) { return p.name === demo.default; });
      if (first) {
        select.value = first.name;
        select.dispatchEvent(new Event("change"));
      } else {
        render(props);
      }
    });
})();
