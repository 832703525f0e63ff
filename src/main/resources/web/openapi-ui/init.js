// Swagger UI over this service's own description; "Try it out" sends requests to this origin.
window.ui = SwaggerUIBundle({
  url: '/openapi?format=JSON',
  dom_id: '#swagger-ui',
  deepLinking: true,
  tryItOutEnabled: false
});
