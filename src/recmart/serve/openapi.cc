// The OpenAPI 3 document served at GET /openapi.json. serve_test checks that
// every route here answers its example with a documented status and the
// documented required fields, so the document cannot drift from the server.
#include <string>

#include "recmart/serve/api.h"

namespace recmart::serve {

const std::string& OpenApiDocument() {
  static const std::string kDoc = R"json({
 "openapi": "3.0.3",
 "info": {
  "title": "recmart API",
  "version": "1"
 },
 "components": {
  "securitySchemes": {
   "apiKey": {
    "type": "apiKey",
    "in": "header",
    "name": "X-API-Key"
   }
  },
  "schemas": {
   "Answer": {
    "type": "object",
    "required": [
     "itemList",
     "recommendationId",
     "modelVersion",
     "variant"
    ],
    "properties": {
     "itemList": {
      "type": "array",
      "items": {
       "type": "object",
       "required": [
        "itemId",
        "score"
       ],
       "properties": {
        "itemId": {
         "type": "string"
        },
        "score": {
         "type": "number"
        }
       }
      }
     },
     "recommendationId": {
      "type": "string"
     },
     "modelVersion": {
      "type": "string"
     },
     "variant": {
      "type": "string",
      "description": "the campaign variant, or \"live\""
     },
     "campaign": {
      "type": "string"
     },
     "source": {
      "type": "string",
      "enum": [
       "model",
       "popularity",
       "content"
      ]
     }
    }
   },
   "Accepted": {
    "type": "object",
    "required": [
     "accepted"
    ],
    "properties": {
     "accepted": {
      "type": "integer"
     }
    }
   },
   "Error": {
    "type": "object",
    "required": [
     "error"
    ],
    "properties": {
     "error": {
      "type": "string"
     }
    }
   }
  }
 },
 "paths": {
  "/recommendations": {
   "post": {
    "summary": "Recommendations for a user (unknown users get popular items)",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
         "userId": {
          "type": "string"
         },
         "numResults": {
          "type": "integer",
          "minimum": 1,
          "maximum": 500,
          "default": 25
         },
         "offset": {
          "type": "integer",
          "minimum": 0,
          "maximum": 10000,
          "default": 0
         },
         "context": {
          "type": "object"
         },
         "exclude": {
          "type": "array",
          "items": {
           "type": "string"
          },
          "maxItems": 1000
         },
         "exploration": {
          "type": "number",
          "minimum": 0,
          "maximum": 1
         },
         "filter": {
          "type": "string",
          "description": "a filter name from the project's [filters]"
         },
         "filterValues": {
          "type": "object",
          "additionalProperties": {
           "type": "string"
          },
          "description": "$NAME placeholders, e.g. {\"CATEGORY\": \"\\\"shoes\\\",\\\"bags\\\"\"}"
         }
        }
       },
       "example": {
        "userId": "u1",
        "numResults": 5
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "ranked items",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Answer"
        }
       }
      }
     },
     "400": {
      "description": "invalid request (the message names the field)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   },
   "get": {
    "summary": "Recommendations, with query parameters",
    "parameters": [
     {
      "name": "userId",
      "in": "query",
      "schema": {
       "type": "string"
      },
      "example": "u1"
     },
     {
      "name": "numResults",
      "in": "query",
      "schema": {
       "type": "integer"
      },
      "example": 5
     },
     {
      "name": "offset",
      "in": "query",
      "schema": {
       "type": "integer"
      }
     },
     {
      "name": "filter",
      "in": "query",
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "filterValues",
      "in": "query",
      "schema": {
       "type": "string"
      },
      "description": "a JSON object"
     },
     {
      "name": "exclude",
      "in": "query",
      "schema": {
       "type": "string"
      },
      "description": "comma-separated item ids"
     }
    ],
    "responses": {
     "200": {
      "description": "ranked items",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Answer"
        }
       }
      }
     },
     "400": {
      "description": "invalid request (the message names the field)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  },
  "/similar-items": {
   "post": {
    "summary": "Items related to an item (by behaviour; by attributes for items only PUT /items knows)",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "required": [
         "itemId"
        ],
        "additionalProperties": false,
        "properties": {
         "itemId": {
          "type": "string"
         },
         "userId": {
          "type": "string"
         },
         "numResults": {
          "type": "integer",
          "minimum": 1,
          "maximum": 500,
          "default": 10
         },
         "offset": {
          "type": "integer"
         },
         "context": {
          "type": "object"
         },
         "exclude": {
          "type": "array",
          "items": {
           "type": "string"
          }
         },
         "filter": {
          "type": "string",
          "description": "a filter name from the project's [filters]"
         },
         "filterValues": {
          "type": "object",
          "additionalProperties": {
           "type": "string"
          },
          "description": "$NAME placeholders, e.g. {\"CATEGORY\": \"\\\"shoes\\\",\\\"bags\\\"\"}"
         }
        }
       },
       "example": {
        "itemId": "a1",
        "numResults": 3
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "related items",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Answer"
        }
       }
      }
     },
     "400": {
      "description": "invalid request (the message names the field)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "unknown item",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  },
  "/personalized-ranking": {
   "post": {
    "summary": "Re-rank a list for a user: every input item comes back; unknown (and filtered-out) items last",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "required": [
         "inputList"
        ],
        "additionalProperties": false,
        "properties": {
         "userId": {
          "type": "string"
         },
         "inputList": {
          "type": "array",
          "items": {
           "type": "string"
          },
          "minItems": 1,
          "maxItems": 500
         },
         "context": {
          "type": "object"
         },
         "filter": {
          "type": "string",
          "description": "a filter name from the project's [filters]"
         },
         "filterValues": {
          "type": "object",
          "additionalProperties": {
           "type": "string"
          },
          "description": "$NAME placeholders, e.g. {\"CATEGORY\": \"\\\"shoes\\\",\\\"bags\\\"\"}"
         }
        }
       },
       "example": {
        "userId": "u1",
        "inputList": [
         "a1",
         "b2",
         "unknown-item"
        ]
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "the input list, ranked",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Answer"
        }
       }
      }
     },
     "400": {
      "description": "invalid request (the message names the field)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  },
  "/events": {
   "post": {
    "summary": "Record 1 to 10 live events: durable before the answer, visible in the user's next answer",
    "security": [
     {
      "apiKey": []
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "required": [
         "sessionId",
         "eventList"
        ],
        "additionalProperties": false,
        "properties": {
         "sessionId": {
          "type": "string"
         },
         "userId": {
          "type": "string",
          "description": "absent: the events belong to sessionId"
         },
         "eventList": {
          "type": "array",
          "minItems": 1,
          "maxItems": 10,
          "items": {
           "type": "object",
           "required": [
            "eventType",
            "itemId",
            "sentAt"
           ],
           "properties": {
            "eventId": {
             "type": "string"
            },
            "eventType": {
             "type": "string"
            },
            "itemId": {
             "type": "string"
            },
            "sentAt": {
             "type": "number",
             "description": "epoch seconds"
            },
            "eventValue": {
             "type": "number"
            },
            "recommendationId": {
             "type": "string"
            },
            "properties": {
             "type": "object"
            }
           }
          }
         }
        }
       },
       "example": {
        "sessionId": "s1",
        "userId": "u1",
        "eventList": [
         {
          "eventType": "view",
          "itemId": "b2",
          "sentAt": 1732000000
         }
        ]
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "stored",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Accepted"
        }
       }
      }
     },
     "400": {
      "description": "invalid request (the message names the field)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "missing or wrong X-API-Key",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "not stored (disk)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  },
  "/items": {
   "put": {
    "summary": "Add or update item metadata: durable before the answer (live/items), usable at once",
    "security": [
     {
      "apiKey": []
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "required": [
         "items"
        ],
        "properties": {
         "items": {
          "type": "array",
          "minItems": 1,
          "maxItems": 100,
          "items": {
           "type": "object",
           "required": [
            "itemId",
            "properties"
           ],
           "properties": {
            "itemId": {
             "type": "string"
            },
            "properties": {
             "type": "object",
             "description": "TITLE, CATEGORY_L1, CATEGORY_L2, CATEGORY_L3, BRAND, AVAILABLE (yes, no or a boolean), PRICE, CREATION_TIMESTAMP (epoch seconds)"
            }
           }
          }
         }
        }
       },
       "example": {
        "items": [
         {
          "itemId": "i-new",
          "properties": {
           "CATEGORY_L1": "b",
           "PRICE": 19.5
          }
         }
        ]
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "stored",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Accepted"
        }
       }
      }
     },
     "400": {
      "description": "invalid request (the message names the field)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "missing or wrong X-API-Key",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "not stored (disk)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  },
  "/users": {
   "put": {
    "summary": "Add or update user metadata (SEGMENT, COUNTRY, CREATION_TIMESTAMP): durable before the answer (live/users), usable at once",
    "security": [
     {
      "apiKey": []
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "required": [
         "users"
        ],
        "properties": {
         "users": {
          "type": "array",
          "minItems": 1,
          "maxItems": 100
         }
        }
       },
       "example": {
        "users": [
         {
          "userId": "u1",
          "properties": {
           "SEGMENT": "b2b"
          }
         }
        ]
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "stored",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Accepted"
        }
       }
      }
     },
     "400": {
      "description": "invalid request (the message names the field)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "missing or wrong X-API-Key",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "not stored (disk)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  },
  "/admin/reload": {
   "post": {
    "summary": "Load the registry's live version now (the server also polls)",
    "security": [
     {
      "apiKey": []
     }
    ],
    "responses": {
     "200": {
      "description": "the version served",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "swapped",
          "modelVersion"
         ]
        }
       }
      }
     },
     "401": {
      "description": "missing or wrong X-API-Key",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  },
  "/features/users/{id}": {
   "get": {
    "summary": "A user's online feature values",
    "parameters": [
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "the latest materialised values; status expired past the group's TTL",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "userId",
          "status"
         ]
        }
       }
      }
     },
     "404": {
      "description": "unknown id, or features not materialised",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  },
  "/features/items/{id}": {
   "get": {
    "summary": "An item's online feature values",
    "parameters": [
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "the latest materialised values; status expired past the group's TTL",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "itemId",
          "status"
         ]
        }
       }
      }
     },
     "404": {
      "description": "unknown id, or features not materialised",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  },
  "/healthz": {
   "get": {
    "summary": "Liveness",
    "responses": {
     "200": {
      "description": "serving",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "status",
          "modelVersion"
         ]
        }
       }
      }
     }
    }
   }
  },
  "/metrics": {
   "get": {
    "summary": "Prometheus metrics",
    "responses": {
     "200": {
      "description": "text exposition format",
      "content": {
       "text/plain": {
        "schema": {
         "type": "string"
        }
       }
      }
     }
    }
   }
  },
  "/openapi.json": {
   "get": {
    "summary": "This document",
    "responses": {
     "200": {
      "description": "OpenAPI 3",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "openapi",
          "paths"
         ]
        }
       }
      }
     }
    }
   }
  }
 }
})json";
  return kDoc;
}

}  // namespace recmart::serve
